-- What each of an order's shipments carried, by order line, in line order.
select sl.shipment_id, l.sku, sl.quantity
from app.shipment_lines sl
join app.shipments s on s.tenant_id = sl.tenant_id and s.id = sl.shipment_id
join app.order_lines l on l.tenant_id = sl.tenant_id and l.id = sl.order_line_id
where sl.tenant_id = $1 and s.order_id = $2
order by l.position
