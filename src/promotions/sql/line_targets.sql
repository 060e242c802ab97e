-- What a promotion may target on each SKU of a basket: its product's number and category code.
select v.sku, p.number::text as product, c.code as category
from app.variants v
join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where v.tenant_id = $1 and v.sku = any($2::text[])
