select order_id, outcome from app.payment_events where tenant_id = $1 and event_id = $2
