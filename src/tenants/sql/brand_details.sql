-- Brands with their domains. $1: one slug, or null for every brand.
select t.id, t.slug, t.name, t.sku_prefix, t.currency, t.theme, t.features, t.is_active,
       t.created_at,
       coalesce(array(select d.domain from app.tenant_domains d where d.tenant_id = t.id order by d.domain),
                '{}') as domains
from app.tenants t
where $1::text is null or t.slug = $1
order by t.slug
