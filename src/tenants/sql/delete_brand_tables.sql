-- Every table in schema app that holds rows of a brand: the brand-owned tables (the list
-- `brand export` reads) and the global tables with a brand column (domains, memberships,
-- WhatsApp numbers, jobs, the audit trail). Read by `brand delete` on the administrative
-- connection.
select c.relname::text as name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'app' and c.relkind in ('r', 'p') and c.relname <> 'tenants'
  and exists (
    select from pg_attribute a
    where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
  )
order by c.relname
