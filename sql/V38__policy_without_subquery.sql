-- The tenant policies without a subquery: `tenant_id = app.current_tenant()` instead of
-- `tenant_id = (select app.current_tenant())`. A distributed PostgreSQL (Citus) copies policies
-- to every node and refuses one that contains a subquery. Without the InitPlan the planner
-- evaluates the function where the expression stands. For a statement that names its brand
-- with `tenant_id = $1` (tests/api/tenant_predicates.rs) that is once: the policy and the
-- predicate fall into one equivalence class, the predicate is the index condition and the
-- policy a one-time check, generic plans included. Statements inside triggers (availability,
-- documents) join on tenant_id without a constant, and there the policy is evaluated per row.
--
-- So the three scope functions become inlinable again (V15 pinned them with a SET clause, which
-- stops inlining: the planner then calls them through the SQL-function executor on every row,
-- and a 10,000-product import rendering its documents ran past the statement timeout). Inlined,
-- the policy is `tenant_id = <the setting, cast>` evaluated in place: measured on a sequential
-- scan of 400,000 rows, 210 ms against 1,346 ms pinned (41 ms with the old InitPlan). They stay
-- safe from a caller's search_path the other way PostgreSQL documents: every name in the body is
-- schema-qualified, the operator and the cast included, so nothing on a search_path can stand
-- in for pg_catalog's. policies/audit.sql lists the three as the exceptions to its pinned
-- search_path rule and checks that their bodies stay qualified. STABLE and PARALLEL SAFE.
create or replace function app.current_tenant() returns uuid
  language sql stable parallel safe
  as $$
    select case when pg_catalog.current_setting('app.tenant_id', true) operator(pg_catalog.=) ''
                then null
                else pg_catalog.current_setting('app.tenant_id', true)::pg_catalog.uuid end
  $$;
alter function app.current_tenant() reset all;

create or replace function app.current_user_id() returns uuid
  language sql stable parallel safe
  as $$
    select case when pg_catalog.current_setting('app.user_id', true) operator(pg_catalog.=) ''
                then null
                else pg_catalog.current_setting('app.user_id', true)::pg_catalog.uuid end
  $$;
alter function app.current_user_id() reset all;

create or replace function app.current_actor_role() returns text
  language sql stable parallel safe
  as $$
    select case when pg_catalog.current_setting('app.role', true) operator(pg_catalog.=) ''
                then null
                else pg_catalog.current_setting('app.role', true) end
  $$;
alter function app.current_actor_role() reset all;

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
