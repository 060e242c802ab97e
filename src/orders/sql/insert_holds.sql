insert into app.holds (tenant_id, order_id, order_line_id, variant_id, zone_id, quantity, status, expires_at)
select $1, $2, line_id, variant_id, zone_id, quantity, $7, $8
from unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::int[]) as h(line_id, variant_id, zone_id, quantity)
returning id, variant_id, zone_id, quantity
