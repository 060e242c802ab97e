-- The credit note $4 of an order named by its number ($2, staff) or its id ($3, the customer),
-- with when the order was placed (the customer's order token reads it for a limited time). No
-- row: no such order, or it has no credit note with that number.
select n.number, n.status, n.object_key, o.created_at as order_created_at
from app.credit_notes n
join app.orders o on o.tenant_id = n.tenant_id and o.id = n.order_id
where n.tenant_id = $1
  and ($2::int is null or o.number = $2)
  and ($3::uuid is null or o.id = $3)
  and n.number = $4
