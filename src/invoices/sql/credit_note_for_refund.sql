-- The credit note a refund already has (a refund is credited once).
select id, number
from app.credit_notes
where tenant_id = $1 and refund_id = $2
