select number from app.products where tenant_id = $1 and handle = $2
