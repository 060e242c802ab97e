-- The invoice of an order named by its number ($2, staff) or its id ($3, the customer), with
-- when the order was placed (the customer's order token reads it for a limited time). No row:
-- no such order, or it has no invoice (it was never paid).
select i.number, i.status, i.object_key, o.created_at as order_created_at
from app.invoices i
join app.orders o on o.tenant_id = i.tenant_id and o.id = i.order_id
where i.tenant_id = $1
  and ($2::int is null or o.number = $2)
  and ($3::uuid is null or o.id = $3)
