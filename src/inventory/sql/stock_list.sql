-- The brand's stock rows, optionally of one zone and/or one SKU.
select v.sku, z.code as zone_code, s.on_hand, s.reserved,
       app.available(s.variant_id, s.zone_id) as available, s.updated_at
from app.stock s
join app.variants v on v.tenant_id = s.tenant_id and v.id = s.variant_id
join app.zones z on z.id = s.zone_id
where s.tenant_id = $1
  and ($2::text is null or z.code = $2)
  and ($3::text is null or v.sku = $3)
order by v.sku, z.code
limit $4
