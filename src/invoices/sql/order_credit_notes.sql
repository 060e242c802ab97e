-- An order's credit notes, in number order, with the number of the invoice each corrects.
select n.number, i.number as invoice_number, n.refund_id, n.issued_at, n.currency,
       n.subtotal_minor, n.shipping_minor, n.tax_minor, n.total_minor, n.object_key, n.status
from app.credit_notes n
join app.invoices i on i.tenant_id = n.tenant_id and i.id = n.invoice_id
where n.tenant_id = $1 and n.order_id = $2
order by n.number
