-- Schema-wide grants and the one canonical tenant policy. Applied by `brandhouse migrate`
-- after the migrations, as the owner role, in one transaction, on every run.

revoke all on schema app from public;
grant usage on schema app to {{api_role}}, {{analytics_role}};

-- Functions are executable by PUBLIC unless revoked; grant them by name instead.
revoke all on all functions in schema app from public;
grant execute on function app.current_tenant(), app.current_user_id(), app.current_actor_role()
  to {{api_role}}, {{analytics_role}};
-- The one way to write `is_owner`: the company's first owner (`brandhouse staff create-owner`,
-- `make demo`); refused once an owner exists (sql/V15__least_privilege.sql).
grant execute on function app.create_first_owner(text, text, text) to {{api_role}};

-- The single tenant-isolation policy every tenant-owned table gets, written once:
--   using      (tenant_id = app.current_tenant())
--   with check (tenant_id = app.current_tenant())
-- for all commands, for the API role. No subquery: a distributed PostgreSQL (Citus) copies the
-- policy to every node and refuses one with a subquery. Every statement names its brand with
-- `tenant_id = $1` (tests/api/tenant_predicates.rs), so the policy meets that predicate in one
-- equivalence class: the predicate is the index condition and the policy a one-time check
-- `app.current_tenant() = $1`, not a per-row call of the function (sql/V38). With no tenant set the function is NULL and the comparison is never true: no
-- rows, no writes.
--
-- The procedure recreates the policy only when it is missing or differs, so a routine migrate
-- takes no ACCESS EXCLUSIVE lock on busy tables. policies/audit.sql checks the outcome.
create or replace procedure app.isolate_tenant_table(tbl regclass, api_role name)
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  expected constant text := '(tenant_id = app.current_tenant())';
begin
  execute format('alter table %s enable row level security', tbl);
  execute format('alter table %s force row level security', tbl);
  if not exists (
    select from pg_policy p
    where p.polrelid = tbl
      and p.polname = 'tenant_isolation'
      and p.polpermissive
      and p.polcmd = '*'
      and p.polroles = array[(select oid from pg_roles where rolname = api_role)]
      and pg_get_expr(p.polqual, p.polrelid) = expected
      and pg_get_expr(p.polwithcheck, p.polrelid) = expected
  ) then
    execute format('drop policy if exists tenant_isolation on %s', tbl);
    execute format(
      'create policy tenant_isolation on %s as permissive for all to %I '
      'using (tenant_id = app.current_tenant()) '
      'with check (tenant_id = app.current_tenant())',
      tbl, api_role);
  end if;
end
$$;
revoke all on procedure app.isolate_tenant_table(regclass, name) from public;
