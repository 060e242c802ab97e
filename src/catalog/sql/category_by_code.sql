select id, code, name from app.categories where tenant_id = $1 and code = $2
