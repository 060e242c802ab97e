-- The latest deletion record of a slug, for a re-run that finishes removing its files.
select details from app.audit_log
where action = 'brand.deleted' and tenant_id is null and subject = $1
order by at desc, id desc
limit 1
