-- The brand's ($1) unpaid orders still holding stock, placed with this email ($2) or with this
-- phone ($3); and the transaction's now() (its start), from which checkout dates its holds'
-- expiry.
select
  (select count(*) from app.orders o
   join app.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id
   where o.tenant_id = $1 and c.email = $2 and o.status = 'pending_payment' and o.holds_expire_at > now()) as by_email,
  (select count(*) from app.orders o
   where o.tenant_id = $1 and $3::text is not null and o.customer_phone = $3
     and o.status = 'pending_payment' and o.holds_expire_at > now()) as by_phone,
  now() as now
