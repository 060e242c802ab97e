select product_id, id, sku, option_key, is_active, position
from app.variants
where tenant_id = $1 and product_id = any($2::uuid[])
order by product_id, position, sku
