select id, sku, option_key, options, price_override_minor, reorder_threshold, is_active, position,
       weight_grams
from app.variants
where tenant_id = $1 and product_id = $2
order by position, sku
