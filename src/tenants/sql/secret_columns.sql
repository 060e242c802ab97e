-- The columns of brand-owned tables that hold credentials (names with secret, token, password,
-- api_key or credential in them: signing secrets, access tokens, token hashes). A brand export
-- leaves them out: an archive is a file that travels, and a credential in it outlives every
-- rotation the brand does not know it needs.
select c.relname::text as table_name, a.attname::text as column_name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = 'app' and c.relkind in ('r', 'p') and c.relrowsecurity
  and a.attname ~ '(secret|token|password|api_key|credential)'
order by 1, 2
