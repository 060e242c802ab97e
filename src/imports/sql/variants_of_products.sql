select product_id, id, sku, option_key, is_active, position
from app.variants
where product_id = any($1::uuid[])
order by product_id, position, sku
