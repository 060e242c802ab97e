-- The tenant policies without a subquery: `tenant_id = app.current_tenant()` instead of
-- `tenant_id = (select app.current_tenant())`. A distributed PostgreSQL (Citus) copies policies
-- to every node and refuses one that contains a subquery. app.current_tenant() stays as V1 and
-- V15 made it: STABLE, PARALLEL SAFE, search_path pinned. Without the InitPlan the planner
-- evaluates it where the expression stands, which costs nothing once a statement names its
-- brand with `tenant_id = $1` (tests/api/tenant_predicates.rs): the policy and the predicate
-- fall into one equivalence class, the predicate is the index condition and the policy a
-- one-time check `app.current_tenant() = $1`, generic plans included. Only a scan without the
-- predicate evaluates the function per row (a pinned function is not inlined: about 3 us per
-- row examined), which is why every statement names its brand.
--
-- The canonical tenant policy is applied by policies/00_schema.sql on every migrate, which
-- replaces the old form where it differs.

-- The global tables that carry a brand (V15): the same policy without subqueries. Applied by
-- policies/ on every migrate, which replaces the old form where it differs.
create or replace procedure app.scope_global_table(tbl regclass, api_role name)
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  expected constant text :=
    '((app.current_tenant() IS NULL) OR (tenant_id = app.current_tenant()))';
begin
  execute format('alter table %s enable row level security', tbl);
  execute format('alter table %s force row level security', tbl);
  if not exists (
    select from pg_policy p
    where p.polrelid = tbl
      and p.polname = 'brand_or_global'
      and p.polpermissive
      and p.polcmd = '*'
      and p.polroles = array[(select oid from pg_roles where rolname = api_role)]
      and pg_get_expr(p.polqual, p.polrelid) = expected
      and pg_get_expr(p.polwithcheck, p.polrelid) = expected
  ) then
    execute format('drop policy if exists brand_or_global on %s', tbl);
    execute format(
      'create policy brand_or_global on %s as permissive for all to %I '
      'using (app.current_tenant() is null or tenant_id = app.current_tenant()) '
      'with check (app.current_tenant() is null or tenant_id = app.current_tenant())',
      tbl, api_role);
  end if;
end
$$;
revoke all on procedure app.scope_global_table(regclass, name) from public;
