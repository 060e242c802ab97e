-- Failed logins per client address (the peer, or a trusted proxy's header; IPv6 by its /64),
-- counted before the per-email count. A client that guesses is locked before any account it
-- guesses at: one address cannot lock an account's holder out, and the per-email lock (a
-- short one) is left for guesses spread over many addresses. Global like app.login_throttle:
-- it is read before anyone is authenticated or any brand is known.
create table app.login_throttle_clients (
  client            text primary key,
  failures          integer not null default 0,
  window_started_at timestamptz not null default now(),
  locked_until      timestamptz
);
