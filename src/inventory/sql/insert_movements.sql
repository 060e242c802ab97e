insert into app.stock_movements (variant_id, zone_id, kind, on_hand_delta, reserved_delta, reason, order_id, hold_id)
select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::text[], $7::uuid[], $8::uuid[])
