insert into app.holds (order_id, order_line_id, variant_id, zone_id, quantity, status, expires_at)
select $1, line_id, variant_id, zone_id, quantity, $6, $7
from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[]) as h(line_id, variant_id, zone_id, quantity)
returning id, variant_id, zone_id, quantity
