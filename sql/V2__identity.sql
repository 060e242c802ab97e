-- Staff identity and access: accounts, per-brand memberships, bearer sessions, login
-- throttling, and the append-only audit trail of staff writes.

-- Staff accounts. Global: a person logs in before any brand is chosen, and one person may work
-- for several brands. `is_owner` marks the company owner (every brand, onboarding, analytics).
create table app.staff_users (
  id             uuid primary key default gen_random_uuid(),
  email          text not null
                 constraint staff_users_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+$' and length(email) <= 254),
  display_name   text not null
                 constraint staff_users_display_name_length check (length(btrim(display_name)) between 1 and 200),
  -- PHC string of an argon2id hash; the password itself is never stored.
  password_hash  text not null,
  is_owner       boolean not null default false,
  created_at     timestamptz not null default now(),
  disabled_at    timestamptz
);
-- Case-insensitive uniqueness: emails are stored lowercased (checked above).
create unique index staff_users_email_key on app.staff_users (email);

-- A staff member's role in one brand. Global: the access check reads it before the brand's
-- transaction opens, and /v1/auth/me lists a person's brands across tenants.
create table app.staff_memberships (
  user_id     uuid not null references app.staff_users (id) on delete cascade,
  tenant_id   uuid not null references app.tenants (id) on delete cascade,
  role        text not null
              constraint staff_memberships_role check (role in ('brand_manager', 'warehouse', 'support')),
  created_at  timestamptz not null default now(),
  primary key (user_id, tenant_id)
);
create index staff_memberships_tenant_idx on app.staff_memberships (tenant_id);

-- Bearer sessions. Only the SHA-256 of the token is stored: a database dump yields no usable
-- token (the token has 256 random bits, so a fast hash is enough; no salt is needed).
create table app.staff_sessions (
  token_hash  bytea primary key
              constraint staff_sessions_token_hash_length check (length(token_hash) = 32),
  user_id     uuid not null references app.staff_users (id) on delete cascade,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  revoked_at  timestamptz
);
create index staff_sessions_user_idx on app.staff_sessions (user_id);

-- Failed logins per email, for throttling. Keyed by the lowercased email whether or not an
-- account exists, so the throttle itself does not reveal which emails are staff.
create table app.login_throttle (
  email             text primary key,
  failures          integer not null default 0,
  window_started_at timestamptz not null default now(),
  locked_until      timestamptz
);

-- The audit trail of staff writes: who, in which brand, did what, when. Append-only for the
-- API role (INSERT only; policies/30_identity.sql), read by the owner through the analytics
-- role. Who and where are stamped from the transaction's settings by the trigger below, so a
-- caller cannot write a row in someone else's name or brand.
create table app.audit_log (
  id         bigint generated always as identity primary key,
  at         timestamptz not null default now(),
  tenant_id  uuid references app.tenants (id),
  user_id    uuid,
  role       text,
  action     text not null
             constraint audit_log_action_format check (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  subject    text,
  details    jsonb not null default '{}'
);
create index audit_log_tenant_at_idx on app.audit_log (tenant_id, at);

create function app.audit_log_stamp() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  new.at := now();
  new.user_id := app.current_user_id();
  new.role := app.current_actor_role();
  -- The brand is the transaction's. Only the owner, acting outside any brand (onboarding),
  -- may name the brand an entry is about.
  new.tenant_id := coalesce(
    app.current_tenant(),
    case when app.current_actor_role() = 'owner' then new.tenant_id end
  );
  return new;
end
$$;

create trigger audit_log_stamp before insert on app.audit_log
  for each row execute function app.audit_log_stamp();
