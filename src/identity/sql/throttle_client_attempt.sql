-- Counts a login attempt for a client address ($1) before the per-email count and before the
-- password is checked; the same rules as throttle_attempt.sql (the row lock orders concurrent
-- attempts, a locked client is refused uncounted, an ended window or lock starts over).
-- Returns this attempt's number in the client's window and, when locked, the seconds left.
insert into app.login_throttle_clients as t (client, failures, window_started_at)
values ($1, 1, now())
on conflict (client) do update
set failures = case when t.locked_until > now() then t.failures
                    when t.locked_until <= now()
                      or t.window_started_at < now() - make_interval(secs => $2) then 1
                    else t.failures + 1 end,
    window_started_at = case when t.locked_until > now() then t.window_started_at
                             when t.locked_until <= now()
                               or t.window_started_at < now() - make_interval(secs => $2)
                               then now()
                             else t.window_started_at end,
    locked_until = case when t.locked_until > now() then t.locked_until end
returning failures,
          case when locked_until > now()
               then ceil(extract(epoch from locked_until - now()))::bigint end as locked_for_secs
