insert into app.shipment_lines (tenant_id, shipment_id, order_line_id, quantity)
select $1, $2, line_id, quantity
from unnest($3::uuid[], $4::int[]) as l(line_id, quantity)
