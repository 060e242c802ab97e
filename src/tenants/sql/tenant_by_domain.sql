select t.id, t.slug, t.name, t.sku_prefix, t.currency, t.is_active
from app.tenant_domains d
join app.tenants t on t.id = d.tenant_id
where d.domain = $1
