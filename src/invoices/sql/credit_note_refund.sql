-- What a refund credits: its amount and parts, and its lines as a JSON array of
-- {order_line_id, quantity, amount_minor}.
select f.order_id, f.status, f.currency, f.amount_minor, f.shipping_minor, f.free_minor,
       coalesce((
         select jsonb_agg(jsonb_build_object(
                  'order_line_id', fl.order_line_id,
                  'quantity', fl.quantity,
                  'amount_minor', fl.amount_minor)
                order by l.position)
         from app.refund_lines fl
         join app.order_lines l on l.tenant_id = fl.tenant_id and l.id = fl.order_line_id
         where fl.tenant_id = f.tenant_id and fl.refund_id = f.id), '[]'::jsonb) as lines
from app.refunds f
where f.tenant_id = $1 and f.id = $2
