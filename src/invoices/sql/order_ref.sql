-- The id of an order named by its number ($2, staff) or its id ($3, the customer) and when it
-- was placed. No row: no such order.
select o.id, o.created_at
from app.orders o
where o.tenant_id = $1
  and ($2::int is null or o.number = $2)
  and ($3::uuid is null or o.id = $3)
