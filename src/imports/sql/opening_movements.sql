-- The ledger entries of opening stock: one `receive` per new stock row. Who and when are
-- stamped by the column defaults.
insert into app.stock_movements (variant_id, zone_id, kind, on_hand_delta, reason)
select variant_id, zone_id, 'receive', units, 'initial stock (import)'
from unnest($1::uuid[], $2::uuid[], $3::int[]) as x(variant_id, zone_id, units)
