insert into app.tenant_domains (domain, tenant_id)
select d, $2 from unnest($1::text[]) as d
