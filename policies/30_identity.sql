-- Identity tables: global (on the audit's global list), narrowed by grants.

-- app.staff_users: read to authenticate before any brand is known; created by brand
-- managers and the owner (staff management) and by the CLI bootstrap. No DELETE: accounts
-- are disabled, keeping the audit trail's user ids meaningful.
-- Column grants: no path writes `is_owner` or `email` after creation (the first owner comes from
-- app.create_first_owner); updates are a password change and disabling.
revoke insert, update on app.staff_users from {{api_role}};
grant select, insert (email, display_name, password_hash), update (password_hash, disabled_at)
  on app.staff_users to {{api_role}};
grant select (id, email, display_name, is_owner, created_at, disabled_at) on app.staff_users to {{analytics_role}};

-- app.staff_memberships: read by the access check before the brand's transaction opens and by
-- /v1/auth/me across brands. Writes name the brand through app.current_tenant() in SQL.
grant select, insert, update, delete on app.staff_memberships to {{api_role}};
-- Inside a brand's transaction only that brand's memberships are visible or writable.
call app.scope_global_table('app.staff_memberships', '{{api_role}}');
grant select on app.staff_memberships to {{analytics_role}};

-- app.staff_sessions: looked up by token hash on every staff request, before any brand.
-- Updates only end sessions.
revoke update on app.staff_sessions from {{api_role}};
grant select, insert, update (revoked_at) on app.staff_sessions to {{api_role}};

-- app.staff_invitations: tenant-owned. A brand invites, lists and revokes its own; acceptance
-- opens the brand's transaction named by the token and finds the row by its token's hash
-- under this policy. Nothing is deleted: the list is the brand's record of who was invited.
call app.isolate_tenant_table('app.staff_invitations', '{{api_role}}');
grant select, insert, update on app.staff_invitations to {{api_role}};

-- app.login_throttle: failed-login counters per email, before anyone is authenticated.
grant select, insert, update, delete on app.login_throttle to {{api_role}};

-- app.login_throttle_clients: failed-login counters per client address, counted before the
-- per-email ones (a success gives its attempt back; the hourly purge removes stale rows).
grant select, insert, update, delete on app.login_throttle_clients to {{api_role}};

-- app.audit_log: append-only for the API role; the owner reads it through analytics.
grant insert on app.audit_log to {{api_role}};
grant select on app.audit_log to {{analytics_role}};

grant execute on function app.audit_log_stamp() to {{api_role}};
