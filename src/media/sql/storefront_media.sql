-- An image ($3) of brand $1's active product number $2, for the storefront.
select m.name, m.content_type, m.size_bytes, m.sha256, m.object_key
from app.product_media m
join app.products p on p.tenant_id = m.tenant_id and p.id = m.product_id
where m.tenant_id = $1 and p.number = $2 and p.status = 'active' and m.name = $3
