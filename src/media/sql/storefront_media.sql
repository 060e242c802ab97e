-- An image of an active product, for the storefront. Row-level security picks the brand.
select m.name, m.content_type, m.size_bytes, m.sha256, m.object_key
from app.product_media m
join app.products p on p.tenant_id = m.tenant_id and p.id = m.product_id
where p.number = $1 and p.status = 'active' and m.name = $2
