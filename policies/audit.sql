-- The isolation audit. Lists every table in schema app with its RLS state and policies, then
-- fails (psql exit status 3 with ON_ERROR_STOP) on any violation of the isolation contract:
--
--   * a table that is neither tenant-isolated (RLS ENABLED + FORCED + the canonical
--     tenant_isolation policy for the API role) nor on the global list below;
--   * a policy that is USING (true) / WITH CHECK (true), or that ORs anything into a
--     tenant comparison (a disjunct that admits rows while no tenant is set), or any other
--     permissive policy on a tenant table (permissive policies OR together);
--   * an API role that is superuser, BYPASSRLS, a member of another role, or owns anything;
--   * an analytics role that is superuser or may write (INSERT/UPDATE/DELETE/TRUNCATE);
--   * a function in app (or a SECURITY DEFINER function anywhere) without a pinned search_path;
--   * a privilege of the API role on a global table that is not on the grant list below (table,
--     privilege, columns, reason), and a global table with row-level security other than the
--     canonical brand_or_global policy (RLS enabled and forced);
--   * a view in app that reads with its owner's rights (not security_invoker).
--
-- Run with any role that can read the catalogs:
--   psql "$URL" -v ON_ERROR_STOP=1 -f policies/audit.sql
--   psql "$URL" -v ON_ERROR_STOP=1 -v api_role=x -v analytics_role=y -v owner_role=z -f policies/audit.sql

\set QUIET on
\if :{?api_role}
\else
  \set api_role brandhouse_api
\endif
\if :{?analytics_role}
\else
  \set analytics_role brandhouse_analytics
\endif
\if :{?owner_role}
\else
  \set owner_role brandhouse_owner
\endif
-- The canonical policy of a global table that carries a brand (app.scope_global_table), as
-- PostgreSQL prints it.
\set brand_or_global '((app.current_tenant() IS NULL) OR (tenant_id = app.current_tenant()))'
\pset footer off

begin;
-- Print expressions schema-qualified, so the canonical policy text compares exactly.
set local search_path = pg_catalog;

-- The global list: the only tables in schema app that are not tenant-isolated, and why.
-- policies/10_global.sql (and later files) grant them with the same reasons in comments.
create temp table audit_global (name text primary key, reason text not null) on commit drop;
insert into audit_global values
  ('tenants',        'the brands themselves, resolved from X-Tenant-ID or Host before any tenant is known'),
  ('tenant_domains', 'maps Host names to brands, read before any tenant is known'),
  ('staff_users',    'staff log in before choosing a brand; one person may work for several brands'),
  ('staff_memberships', 'the access check reads a role before the brand''s transaction opens; /v1/auth/me lists brands across tenants'),
  ('staff_sessions', 'bearer tokens (hashed) are checked before any brand is known'),
  ('login_throttle', 'failed-login counters per email, before anyone is authenticated'),
  ('login_throttle_clients', 'failed-login counters per client address, before anyone is authenticated'),
  ('audit_log',      'append-only trail: the API role may only INSERT (who and brand stamped by trigger); read by the owner via analytics'),
  ('zones',          'warehouse zones are shared physical space: every brand''s stock points at them; managed by the owner'),
  ('jobs',           'the job queue holds references (brand, kind, ref), never tenant data; workers claim across brands, then open the brand''s transaction'),
  ('whatsapp_numbers', 'Meta webhooks name the business number, not the brand: the brand is found from it before any tenant is known; no secrets; the API role reads it and writes one brand''s row only through app.prove_whatsapp_number / app.release_whatsapp_number');

-- The analytics-only list: tables in schema app that carry a brand but are not tenant-isolated
-- because no brand role may read them at all: rollups the analytics role reads across brands.
-- The API role must hold no privilege on them (table or column); the analytics role reads them.
create temp table audit_analytics_only (name text primary key, reason text not null) on commit drop;
insert into audit_analytics_only values
  ('sales_daily',           'rollup of counted orders per brand and day (V37): read by the analytics role only; written by app.sales_rollup_apply (SECURITY DEFINER) from the trigger on orders'),
  ('sales_weekly',          'rollup of counted orders per brand, ISO week and slot (V39): read by the analytics role only; written by app.sales_rollup_apply'),
  ('sales_monthly',         'rollup of counted orders per brand, month and slot (V39): read by the analytics role only; written by app.sales_rollup_apply'),
  ('sales_yearly',          'rollup of counted orders per brand, calendar year and slot (V39): read by the analytics role only; written by app.sales_rollup_apply'),
  ('product_sales_daily',   'rollup of counted order lines per brand, day and product (V37): read by the analytics role only; written by app.sales_rollup_apply'),
  ('product_sales_monthly', 'rollup of counted order lines per brand, month and product (V37): read by the analytics role only; written by app.sales_rollup_apply'),
  ('product_sales_yearly',  'rollup of counted order lines per brand, calendar year and product (V39): read by the analytics role only; written by app.sales_rollup_apply'),
  ('catalog_counts',        'SKUs and active SKUs per brand (V37): read by the analytics role only; written by SECURITY DEFINER triggers on variants from their transition tables');

-- The grant list: every privilege the API role holds on a global table, with the columns (null:
-- the whole table) and why. Anything else the API role holds on a global table is a violation.
create temp table audit_global_grants (
  name text not null, privilege text not null, columns text[], reason text not null
) on commit drop;
insert into audit_global_grants values
  ('tenants', 'SELECT', null, 'brand resolution from X-Tenant-ID or Host'),
  ('tenants', 'INSERT', null, 'onboarding a brand (owner)'),
  ('tenants', 'UPDATE', '{name,theme,features,is_active,updated_at}', 'brand settings (owner); never slug or sku_prefix'),
  ('tenant_domains', 'SELECT', null, 'brand resolution by Host; a brand''s transaction sees its own (brand_or_global)'),
  ('tenant_domains', 'INSERT', null, 'onboarding and domain changes (owner)'),
  ('tenant_domains', 'DELETE', null, 'domain changes (owner)'),
  ('staff_users', 'SELECT', null, 'sign-in and the access check, before any brand'),
  ('staff_users', 'INSERT', '{email,display_name,password_hash}', 'accepting an invitation creates an account; never is_owner'),
  ('staff_users', 'UPDATE', '{password_hash,disabled_at}', 'password change; the owner disables accounts'),
  ('staff_memberships', 'SELECT', null, 'the access check and /v1/auth/me; a brand''s transaction sees its own (brand_or_global)'),
  ('staff_memberships', 'INSERT', null, 'accepting an invitation, in the brand''s transaction'),
  ('staff_memberships', 'UPDATE', null, 'role changes, in the brand''s transaction'),
  ('staff_memberships', 'DELETE', null, 'removing a member, in the brand''s transaction'),
  ('staff_sessions', 'SELECT', null, 'token checks on every staff request'),
  ('staff_sessions', 'INSERT', null, 'sign-in'),
  ('staff_sessions', 'UPDATE', '{revoked_at}', 'sign-out, password change, ending sessions, disabling'),
  ('login_throttle', 'SELECT', null, 'counting failed logins per email'),
  ('login_throttle', 'INSERT', null, 'counting failed logins per email'),
  ('login_throttle', 'UPDATE', null, 'counting failed logins per email'),
  ('login_throttle', 'DELETE', null, 'a success clears the count; hourly purge'),
  ('login_throttle_clients', 'SELECT', null, 'counting failed logins per client address'),
  ('login_throttle_clients', 'INSERT', null, 'counting failed logins per client address'),
  ('login_throttle_clients', 'UPDATE', null, 'counting failed logins per client address; a success gives its attempt back'),
  ('login_throttle_clients', 'DELETE', null, 'hourly purge'),
  ('audit_log', 'INSERT', null, 'append-only trail (stamped by trigger)'),
  ('zones', 'SELECT', null, 'every brand''s stock points at the shared zones'),
  ('zones', 'INSERT', null, 'the owner creates zones'),
  ('zones', 'UPDATE', '{name,city,region,priority,is_active}', 'the owner changes zones; never code'),
  ('jobs', 'SELECT', null, 'the worker claims across brands; a brand''s transaction sees its own (brand_or_global)'),
  ('jobs', 'INSERT', null, 'enqueueing'),
  ('jobs', 'UPDATE', null, 'claiming, completing, retrying'),
  ('jobs', 'DELETE', null, 'purging finished jobs'),
  ('whatsapp_numbers', 'SELECT', null, 'webhook routing by business number; writes go through app.prove_whatsapp_number / app.release_whatsapp_number');

-- What the API role holds on global tables: table-wide (column null) and per column.
create temp view audit_api_grants as
select c.relname::text as name, a.privilege_type as privilege, null::text as col
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join lateral aclexplode(c.relacl) a
where n.nspname = 'app' and c.relkind in ('r', 'p')
  and a.grantee = (select oid from pg_roles where rolname = :'api_role')
union all
select c.relname::text, a.privilege_type, att.attname::text
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute att on att.attrelid = c.oid and att.attnum > 0 and not att.attisdropped
cross join lateral aclexplode(att.attacl) a
where n.nspname = 'app' and c.relkind in ('r', 'p')
  and a.grantee = (select oid from pg_roles where rolname = :'api_role');

create temp view audit_tables as
select c.oid as relid,
       c.relname::text as table_name,
       c.relrowsecurity as rls_enabled,
       c.relforcerowsecurity as rls_forced,
       exists (select from pg_attribute a
               where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as has_tenant_id,
       g.name is not null as is_global,
       exists (select from audit_analytics_only ao where ao.name = c.relname) as is_analytics_only,
       exists (select from pg_policy p
               where p.polrelid = c.oid
                 and p.polname = 'tenant_isolation'
                 and p.polpermissive
                 and p.polcmd = '*'
                 and (select oid from pg_roles where rolname = :'api_role') = any (p.polroles)
                 and pg_get_expr(p.polqual, p.polrelid) = '(tenant_id = app.current_tenant())'
                 and pg_get_expr(p.polwithcheck, p.polrelid) = '(tenant_id = app.current_tenant())'
       ) as has_canonical_policy,
       exists (select from pg_policy p
               where p.polrelid = c.oid
                 and p.polname = 'brand_or_global'
                 and p.polpermissive
                 and p.polcmd = '*'
                 and p.polroles = array[(select oid from pg_roles where rolname = :'api_role')]
                 and pg_get_expr(p.polqual, p.polrelid) = :'brand_or_global'
                 and pg_get_expr(p.polwithcheck, p.polrelid) = :'brand_or_global'
       ) as has_brand_or_global_policy
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join audit_global g on g.name = c.relname
where n.nspname = 'app' and c.relkind in ('r', 'p');

create temp view audit_policies as
select c.relname::text as table_name,
       p.polname::text as policy,
       case when p.polpermissive then 'permissive' else 'restrictive' end as kind,
       case p.polcmd when '*' then 'all' when 'r' then 'select' when 'a' then 'insert'
                     when 'w' then 'update' when 'd' then 'delete' end as command,
       coalesce((select string_agg(case when r = 0 then 'public' else r::regrole::text end, ',')
                 from unnest(p.polroles) r), '') as roles,
       pg_get_expr(p.polqual, p.polrelid) as using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid) as check_expr
from pg_policy p
join pg_class c on c.oid = p.polrelid
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'app';

\echo
\echo '== Tables in schema app =='
select table_name as "table",
       case when is_global then 'global' when is_analytics_only then 'analytics only'
            when has_tenant_id then 'tenant' else '?' end as kind,
       rls_enabled as "rls enabled",
       rls_forced as "rls forced",
       has_canonical_policy as "tenant policy"
from audit_tables order by table_name;

\echo '== Policies =='
select table_name as "table", policy, kind, command, roles, using_expr as "using", check_expr as "with check"
from audit_policies order by table_name, policy;

\echo '== Global tables =='
select name as "table", reason from audit_global order by name;

\echo '== Analytics-only tables =='
select name as "table", reason from audit_analytics_only order by name;

\echo '== The API role''s grants on global tables =='
select name as "table", privilege, coalesce(array_to_string(columns, ', '), '(all)') as columns, reason
from audit_global_grants order by name, privilege;

create temp view audit_violations as
-- Tables that are neither tenant-isolated nor documented as global.
select table_name as subject,
       'not tenant-isolated (needs tenant_id, RLS enabled and forced, the tenant_isolation policy for '
         || :'api_role' || ') and not on the global list' as problem
from audit_tables
where not is_global and not is_analytics_only
  and not (has_tenant_id and rls_enabled and rls_forced and has_canonical_policy)
union all
select name, 'on the analytics-only list but missing from schema app'
from audit_analytics_only a where not exists (select from audit_tables t where t.table_name = a.name)
union all
-- Analytics-only tables: no privilege at all for the API role, SELECT for the analytics role.
select g.name || ': ' || g.privilege || coalesce(' (' || g.col || ')', ''),
       'API role privilege on an analytics-only table'
from audit_api_grants g
where g.name in (select name from audit_analytics_only)
union all
select t.table_name, 'analytics-only table the analytics role cannot read'
from audit_tables t
where t.is_analytics_only
  and exists (select from pg_roles where rolname = :'analytics_role')
  and not has_table_privilege(:'analytics_role', t.relid, 'SELECT')
union all
select table_name, 'on the global list but missing from schema app? (listed: ' || name || ')'
from audit_global g left join audit_tables t on t.table_name = g.name
where t.table_name is null
union all
-- Policies that admit every row.
select table_name || '.' || policy, 'policy is USING (true) or WITH CHECK (true)'
from audit_policies
where btrim(coalesce(using_expr, ''), '() ') = 'true' or btrim(coalesce(check_expr, ''), '() ') = 'true'
union all
-- A subquery in a policy: a distributed PostgreSQL (Citus) refuses to copy it to its nodes, and
-- a policy that reads other tables is one nobody can reason about per row.
select table_name || '.' || policy, 'policy contains a subquery'
from audit_policies
where (coalesce(using_expr, '') || ' ' || coalesce(check_expr, '')) ~* '\mSELECT\M'
union all
-- A disjunct next to a tenant comparison admits rows while no tenant is set
-- (e.g. "tenant_id = current_tenant() OR current_tenant() IS NULL").
select table_name || '.' || policy, 'policy ORs a condition into the tenant comparison'
from audit_policies
where (coalesce(using_expr, '') || ' ' || coalesce(check_expr, '')) ~* '\mOR\M'
  -- The one exception: the canonical policy of a global table, which admits every brand's rows
  -- exactly when no brand is set (the global context) and one brand's otherwise.
  and not (policy = 'brand_or_global'
           and using_expr = :'brand_or_global' and check_expr = :'brand_or_global'
           and table_name in (select name from audit_global))
union all
-- A global table with row-level security has exactly the canonical brand_or_global policy.
select t.table_name, 'global table with row-level security but not forced, or without the canonical brand_or_global policy'
from audit_tables t
where t.is_global and t.rls_enabled and not (t.rls_forced and t.has_brand_or_global_policy)
union all
select p.table_name || '.' || p.policy, 'policy on a global table other than brand_or_global'
from audit_policies p join audit_tables t using (table_name)
where t.is_global and p.policy <> 'brand_or_global'
union all
-- Privileges of the API role on global tables beyond the grant list.
select g.name || ': ' || g.privilege || coalesce(' (' || g.col || ')', ''),
       'API role privilege on a global table that is not on the grant list'
from audit_api_grants g
where g.name in (select name from audit_global)
  and not exists (
    select from audit_global_grants l
    where l.name = g.name and l.privilege = g.privilege
      and (l.columns is null and g.col is null or g.col = any (l.columns)))
union all
-- Any other permissive policy on a tenant table widens it, since permissive policies OR.
select p.table_name || '.' || p.policy, 'extra permissive policy on a tenant table'
from audit_policies p join audit_tables t using (table_name)
where not t.is_global and p.kind = 'permissive' and p.policy <> 'tenant_isolation'
union all
select :'api_role', 'API role is missing' where not exists (select from pg_roles where rolname = :'api_role')
union all
select :'api_role', 'API role is SUPERUSER' from pg_roles where rolname = :'api_role' and rolsuper
union all
select :'api_role', 'API role has BYPASSRLS' from pg_roles where rolname = :'api_role' and rolbypassrls
union all
select :'api_role', 'API role is a member of ' || m.roleid::regrole::text
from pg_auth_members m join pg_roles r on r.oid = m.member where r.rolname = :'api_role'
union all
select :'api_role', 'API role owns ' || c.oid::regclass::text
from pg_class c join pg_roles r on r.oid = c.relowner
where r.rolname = :'api_role'
union all
select :'api_role', 'API role owns schema ' || n.nspname
from pg_namespace n join pg_roles r on r.oid = n.nspowner where r.rolname = :'api_role'
union all
select :'api_role', 'API role owns function ' || p.oid::regprocedure::text
from pg_proc p join pg_roles r on r.oid = p.proowner where r.rolname = :'api_role'
union all
select :'analytics_role', 'analytics role is SUPERUSER' from pg_roles where rolname = :'analytics_role' and rolsuper
union all
select :'analytics_role', 'analytics role may ' || priv || ' on app.' || t.table_name
from audit_tables t
cross join unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) priv
where exists (select from pg_roles where rolname = :'analytics_role')
  and has_table_privilege(:'analytics_role', t.relid, priv)
union all
select p.oid::regprocedure::text, 'function without a pinned search_path'
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where (p.prosecdef or n.nspname = 'app')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and not exists (select from unnest(coalesce(p.proconfig, '{}')) cfg where cfg like 'search_path=%')
  -- The exceptions: the three scope functions, which the policies and column defaults call on
  -- every row and which must stay inlinable (a SET clause stops inlining; sql/V38). They are
  -- pinned the other documented way instead: besides keywords and quoted text, every name in
  -- the body is qualified with pg_catalog, so nothing a caller puts on its search_path can stand
  -- in for what they call. Checked here word by word.
  and not (p.oid in ('app.current_tenant()'::regprocedure, 'app.current_user_id()'::regprocedure,
                     'app.current_actor_role()'::regprocedure)
           and not p.prosecdef
           and (select coalesce(array_agg(w), '{}')
                from regexp_split_to_table(
                       regexp_replace(regexp_replace(lower(p.prosrc), '''[^'']*''', ' ', 'g'),
                                      'operator\(pg_catalog\.=\)|pg_catalog\.[a-z_]+', ' ', 'g'),
                       '[^a-z_]+') w
                where w <> '')
               <@ array['select', 'case', 'when', 'then', 'null', 'else', 'end', 'true'])
union all
-- A view reads its tables with its owner's rights unless it is security_invoker: granted to the
-- API role, it would show what the owner sees, past column grants and policies written for the
-- API role. With security_invoker the caller's grants and row-level security apply inside.
select c.oid::regclass::text, 'view without security_invoker (reads with its owner''s rights)'
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'app' and c.relkind = 'v'
  and not exists (select from pg_options_to_table(c.reloptions) o
                  where o.option_name = 'security_invoker' and lower(o.option_value) in ('true', 'on', 'yes', '1'));

\echo '== Violations =='
select subject, problem from audit_violations order by subject, problem;

do $$
declare
  n int := (select count(*) from audit_violations);
begin
  if n > 0 then
    raise exception 'isolation audit failed: % violation(s), listed above', n;
  end if;
end
$$;
commit;
\echo 'isolation audit passed'
