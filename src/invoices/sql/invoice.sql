-- One invoice of the brand, as the render job reads it.
select number, order_id, issued_at, currency, subtotal_minor, discount_minor, shipping_minor,
       tax_minor, total_minor, object_key, status
from app.invoices
where tenant_id = $1 and id = $2
