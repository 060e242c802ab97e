-- The invoice an order already has (an order is invoiced once).
select id, number
from app.invoices
where tenant_id = $1 and order_id = $2
