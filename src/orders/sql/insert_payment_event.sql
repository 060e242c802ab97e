insert into app.payment_events (event_id, order_id, outcome) values ($1, $2, $3)
