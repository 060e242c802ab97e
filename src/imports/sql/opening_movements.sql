-- The ledger entries of opening stock: one `receive` per new stock row of brand $1. Who and
-- when are stamped by the column defaults.
insert into app.stock_movements (tenant_id, variant_id, zone_id, kind, on_hand_delta, reason)
select $1::uuid, variant_id, zone_id, 'receive', units, 'initial stock (import)'
from unnest($2::uuid[], $3::uuid[], $4::int[]) as x(variant_id, zone_id, units)
