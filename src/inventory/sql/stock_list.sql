-- The brand's stock rows, optionally of one zone and/or one SKU.
select v.sku, z.code as zone_code, s.on_hand, s.reserved,
       app.available(s.variant_id, s.zone_id) as available, s.updated_at
from app.stock s
join app.variants v on v.tenant_id = s.tenant_id and v.id = s.variant_id
join app.zones z on z.id = s.zone_id
where ($1::text is null or z.code = $1)
  and ($2::text is null or v.sku = $2)
order by v.sku, z.code
limit $3
