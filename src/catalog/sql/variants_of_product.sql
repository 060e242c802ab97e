select id, sku, option_key, options, price_override_minor, reorder_threshold, is_active, position,
       weight_grams
from app.variants
where product_id = $1
order by position, sku
