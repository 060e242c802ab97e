-- The order shows who placed it as that checkout sent it (its snapshot), with the email it
-- is attached to. Orders the previous release writes carry no subtotal: it is their total.
-- Its tenant_id too: the order's shipments are read with it (their statements name the brand).
select o.tenant_id, o.id, o.number, o.status, o.currency, o.total_minor, o.holds_expire_at, o.conflict_reason,
       o.created_at, o.paid_at, o.shipped_at, o.cancelled_at, o.expired_at,
       o.customer_name, o.customer_phone, c.email as customer_email,
       coalesce(o.subtotal_minor, o.total_minor) as subtotal_minor, o.shipping_minor, o.tax_minor,
       o.prices_include_tax, o.shipping_address, o.billing_address, o.shipping_method_code,
       o.shipping_method_name, o.refunded_minor
from app.orders o
join app.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id
where o.tenant_id = $1 and ($2::uuid is null or o.id = $2) and ($3::int is null or o.number = $3)
