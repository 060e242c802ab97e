-- Makes the brand's domains exactly $2: removes the others, adds the new ones (a domain of
-- another brand violates the primary key: a conflict for the caller).
with removed as (
  delete from app.tenant_domains
  where tenant_id = $1 and domain <> all ($2::text[])
)
insert into app.tenant_domains (domain, tenant_id)
select d, $1 from unnest($2::text[]) as d
where not exists (select from app.tenant_domains x where x.domain = d and x.tenant_id = $1)
