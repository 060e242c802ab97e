select rl.id, rl.return_id, l.variant_id, l.sku, rl.quantity,
       rl.resellable_quantity, rl.written_off_quantity, rl.write_off_reason
from app.return_lines rl
join app.order_lines l on l.tenant_id = rl.tenant_id and l.id = rl.order_line_id
where rl.tenant_id = $1 and rl.return_id = any($2::uuid[])
order by l.position, rl.id
