-- Applies stock changes in one statement; the table's checks (0 <= reserved <= on_hand)
-- refuse any result that would oversell.
update app.stock s
set on_hand = s.on_hand + d.on_hand_delta,
    reserved = s.reserved + d.reserved_delta,
    updated_at = now()
from (
  select variant_id, zone_id, sum(on_hand_delta)::int as on_hand_delta, sum(reserved_delta)::int as reserved_delta
  from unnest($2::uuid[], $3::uuid[], $4::int[], $5::int[]) as x(variant_id, zone_id, on_hand_delta, reserved_delta)
  group by variant_id, zone_id
) d
where s.tenant_id = $1 and s.variant_id = d.variant_id and s.zone_id = d.zone_id
