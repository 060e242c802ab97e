insert into app.stock_movements (tenant_id, variant_id, zone_id, kind, on_hand_delta, reserved_delta,
                                 reason, order_id, hold_id)
select $1, m.*
from unnest($2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::int[], $7::text[], $8::uuid[],
            $9::uuid[]) as m
