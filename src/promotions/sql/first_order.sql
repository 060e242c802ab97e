-- Whether the email has no earlier order that is paid or still open (expired and cancelled
-- orders do not count).
select not exists (
  select from app.orders o
  join app.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id
  where o.tenant_id = $1 and c.email = $2 and o.status not in ('expired', 'cancelled')
) as first_order
