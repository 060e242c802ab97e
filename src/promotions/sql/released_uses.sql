-- The order's released uses (a payment after expiry takes them again), in a fixed order.
select promotion_id
from app.promotion_uses
where tenant_id = app.current_tenant() and order_id = $1 and status = 'released'
order by promotion_id
