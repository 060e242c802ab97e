-- The brand's products named by the file, by handle (another brand's handles are simply not
-- visible: row-level security).
select id, number, handle, sku_stem, name, description, status, base_price_minor, axes, category_id
from app.products
where handle = any($1::text[])
