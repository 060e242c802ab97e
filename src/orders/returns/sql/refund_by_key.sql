select id, order_id, request_hash from app.refunds where tenant_id = $1 and idempotency_key = $2
