select fl.refund_id, l.sku, fl.quantity, fl.amount_minor
from app.refund_lines fl
join app.order_lines l on l.tenant_id = fl.tenant_id and l.id = fl.order_line_id
where fl.tenant_id = $1 and fl.refund_id = any($2::uuid[])
order by l.position
