-- Every brand-owned table in schema app: row-level security forced and a tenant_id column.
-- (The global tables with a brand column, such as jobs and memberships, are the
-- `brand_or_global` seams; inside a brand's transaction they show that brand's rows too.)
select c.relname::text as name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'app' and c.relkind in ('r', 'p') and c.relrowsecurity
  and exists (
    select from pg_attribute a
    where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
  )
order by c.relname
