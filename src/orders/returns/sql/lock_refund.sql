-- After the order's row (the lock order: order, refund).
select id, order_id, status, amount_minor, currency
from app.refunds
where tenant_id = $1 and id = $2
for update
