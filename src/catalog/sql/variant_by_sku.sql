select v.id, v.sku, v.option_key, v.options, v.price_override_minor, v.reorder_threshold,
       v.is_active, v.position, v.weight_grams, p.number, p.name as product_name, p.status as product_status,
       p.base_price_minor, c.code as category_code
from app.variants v
join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where v.tenant_id = $1 and v.sku = $2
