insert into app.refund_lines (tenant_id, refund_id, order_line_id, quantity, amount_minor)
select $1, $2, x.line_id, x.quantity, x.amount
from unnest($3::uuid[], $4::int[], $5::bigint[]) as x(line_id, quantity, amount)
