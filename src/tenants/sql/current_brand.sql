-- The transaction's brand, with its domains.
select t.id, t.slug, t.name, t.sku_prefix, t.currency, t.theme, t.features, t.is_active,
       t.created_at,
       coalesce(array(select d.domain from app.tenant_domains d where d.tenant_id = t.id order by d.domain),
                '{}') as domains
from app.tenants t
where t.id = (select app.current_tenant())
