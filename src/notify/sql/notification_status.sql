select status
from app.customer_notifications
where tenant_id = app.current_tenant() and order_id = $1 and event = $2
