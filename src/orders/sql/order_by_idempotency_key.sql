select id, request_hash from app.orders where idempotency_key = $1
