insert into app.refunds (tenant_id, order_id, amount_minor, currency, lines_minor, shipping_minor,
                         free_minor, reason, return_id, idempotency_key, request_hash)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
returning id
