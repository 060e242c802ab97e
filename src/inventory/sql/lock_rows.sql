-- Locks every stock row of the given variants, in the global lock order (variant, zone), so
-- concurrent transactions queue instead of deadlocking. The Sort runs below the row locks, so
-- rows are locked in this order.
select s.variant_id, s.zone_id, s.on_hand, s.reserved, z.code as zone_code, z.priority,
       z.is_active as zone_active
from app.stock s
join app.zones z on z.id = s.zone_id
where s.tenant_id = $1 and s.variant_id = any($2::uuid[])
order by s.variant_id, s.zone_id
for update of s
