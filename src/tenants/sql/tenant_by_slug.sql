select id, slug, name, sku_prefix, currency, is_active
from app.tenants
where slug = $1
