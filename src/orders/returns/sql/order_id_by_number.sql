select id from app.orders where tenant_id = $1 and number = $2
