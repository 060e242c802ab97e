select id, request_hash from app.orders where tenant_id = $1 and idempotency_key = $2
