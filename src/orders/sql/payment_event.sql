select order_id, outcome from app.payment_events where event_id = $1
