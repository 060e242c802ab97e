-- The brand's ($1) unpaid orders still holding stock, placed with this email ($2) or with this
-- phone ($3); and the transaction's now() (its start), from which checkout dates its holds'
-- expiry.
select
  -- The customer first (customers_email_key), then their open orders
  -- (orders_open_by_customer_idx on both columns): joining the other way round reads every open
  -- order of the brand, thousands while checkouts run (bench/README.md, "Where the checkout's
  -- time went").
  (select count(*) from app.orders o
   where o.tenant_id = $1
     and o.customer_id = (select c.id from app.customers c
                          where c.tenant_id = $1 and c.email = $2)
     and o.status = 'pending_payment' and o.holds_expire_at > now()) as by_email,
  (select count(*) from app.orders o
   where o.tenant_id = $1 and $3::text is not null and o.customer_phone = $3
     and o.status = 'pending_payment' and o.holds_expire_at > now()) as by_phone,
  now() as now
