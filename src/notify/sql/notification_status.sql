select status
from app.customer_notifications
where tenant_id = $1 and order_id = $2 and event = $3
