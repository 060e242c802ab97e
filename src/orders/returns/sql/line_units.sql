-- Each line of an order with what happened to its units since: shipped (confirmed holds'
-- shipped units), in returns that were not rejected, and in refunds that did not fail (units
-- and their amount). Read under the order's row lock.
select l.id, l.sku, l.quantity,
       coalesce(l.line_total_minor, l.unit_price_minor * l.quantity) as line_total_minor,
       coalesce((select sum(h.shipped_quantity) from app.holds h
                 where h.tenant_id = l.tenant_id and h.order_id = l.order_id
                   and h.order_line_id = l.id), 0)::int as shipped,
       coalesce((select sum(rl.quantity) from app.return_lines rl
                 join app.returns r on r.tenant_id = rl.tenant_id and r.id = rl.return_id
                 where rl.tenant_id = l.tenant_id and rl.order_line_id = l.id
                   and r.status <> 'rejected'), 0)::int as in_returns,
       coalesce((select sum(fl.quantity) from app.refund_lines fl
                 join app.refunds f on f.tenant_id = fl.tenant_id and f.id = fl.refund_id
                 where fl.tenant_id = l.tenant_id and fl.order_line_id = l.id
                   and f.status <> 'failed'), 0)::int as refunded_units,
       coalesce((select sum(fl.amount_minor) from app.refund_lines fl
                 join app.refunds f on f.tenant_id = fl.tenant_id and f.id = fl.refund_id
                 where fl.tenant_id = l.tenant_id and fl.order_line_id = l.id
                   and f.status <> 'failed'), 0)::bigint as refunded_line_minor
from app.order_lines l
where l.tenant_id = $1 and l.order_id = $2
order by l.position
