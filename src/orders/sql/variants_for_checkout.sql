select v.id, v.sku, (v.is_active and p.status = 'active') as sellable,
       coalesce(v.price_override_minor, p.base_price_minor) as price_minor,
       p.tax_class, v.weight_grams
from app.variants v
join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
where v.tenant_id = $1 and v.sku = any($2::text[])
