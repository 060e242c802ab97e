select f.id, o.number as order_number, f.status, f.amount_minor, f.currency, f.lines_minor,
       f.shipping_minor, f.free_minor, f.reason, f.return_id, f.created_by, f.created_at,
       f.settled_at
from app.refunds f
join app.orders o on o.tenant_id = f.tenant_id and o.id = f.order_id
where f.tenant_id = $1 and ($2::uuid is null or f.id = $2) and ($3::uuid is null or f.order_id = $3)
order by f.created_at, f.id
