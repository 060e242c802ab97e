-- Foreign keys between tables of schema app, as (referencing, referenced): `brand delete`
-- removes the referencing table's rows first.
select r.relname::text as referencing, p.relname::text as referenced
from pg_constraint c
join pg_class r on r.oid = c.conrelid
join pg_class p on p.oid = c.confrelid
where c.contype = 'f' and c.connamespace = 'app'::regnamespace
