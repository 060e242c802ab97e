insert into app.payment_events (tenant_id, event_id, order_id, outcome) values ($1, $2, $3, $4)
