-- After the order's row (the lock order: order, return, stock rows).
select r.order_id, r.status, o.number as order_number
from app.returns r
join app.orders o on o.tenant_id = r.tenant_id and o.id = r.order_id
where r.tenant_id = $1 and r.id = $2
for update of r
