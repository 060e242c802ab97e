-- The order's released uses (a payment after expiry takes them again), in a fixed order.
select promotion_id
from app.promotion_uses
where tenant_id = $1 and order_id = $2 and status = 'released'
order by promotion_id
