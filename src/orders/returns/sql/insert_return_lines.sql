insert into app.return_lines (tenant_id, return_id, order_line_id, quantity)
select $1, $2, x.line_id, x.quantity
from unnest($3::uuid[], $4::int[]) as x(line_id, quantity)
