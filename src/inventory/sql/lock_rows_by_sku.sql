-- lock_rows.sql for the variants of the given SKUs (checkout sends it in the same round trip
-- as the lookup of those SKUs, before it knows their ids). The same global lock order
-- (variant, zone): the Sort runs below the row locks. An unknown SKU locks nothing.
select s.variant_id, s.zone_id, s.on_hand, s.reserved, z.code as zone_code, z.priority,
       z.is_active as zone_active
from app.stock s
join app.zones z on z.id = s.zone_id
where s.tenant_id = $1
  and s.variant_id in (
    select v.id from app.variants v where v.tenant_id = $1 and v.sku = any($2::text[])
  )
order by s.variant_id, s.zone_id
for update of s
