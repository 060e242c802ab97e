-- Brand $1's products named by the file, by handle ($2).
select id, number, handle, sku_stem, name, description, status, base_price_minor, axes, category_id
from app.products
where tenant_id = $1 and handle = any($2::text[])
