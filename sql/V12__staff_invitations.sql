-- Staff accounts are joined to a brand by invitation only, and sessions get an id staff can
-- name them by.

-- An invitation to join a brand's staff in a role. Tenant-owned: a brand sees and revokes only
-- its own invitations. Only the SHA-256 of the invitation token is stored, like session tokens.
-- The person invited accepts with the token: by setting a password when the email has no
-- account, or while signed in as that email's account when it has one. Nothing else ever
-- attaches an existing account to a brand.
create table app.staff_invitations (
  id           uuid primary key default gen_random_uuid(),
  tenant_id    uuid not null default app.current_tenant() references app.tenants (id) on delete cascade,
  email        text not null
               constraint staff_invitations_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+$' and length(email) <= 254),
  role         text not null
               constraint staff_invitations_role check (role in ('brand_manager', 'warehouse', 'support')),
  token_hash   bytea not null
               constraint staff_invitations_token_hash_length check (length(token_hash) = 32),
  invited_by   uuid references app.staff_users (id) on delete set null,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  accepted_at  timestamptz,
  accepted_by  uuid references app.staff_users (id) on delete set null,
  revoked_at   timestamptz,
  constraint staff_invitations_closed_once check (accepted_at is null or revoked_at is null)
);
create unique index staff_invitations_token_key on app.staff_invitations (token_hash);
create index staff_invitations_tenant_email_idx on app.staff_invitations (tenant_id, email);

-- Sessions get an id: staff list their own sessions and end one by id (the token hash is
-- never shown).
alter table app.staff_sessions add column id uuid not null default gen_random_uuid();
create unique index staff_sessions_id_key on app.staff_sessions (id);
