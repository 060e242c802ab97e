update app.categories set name = $3 where tenant_id = $1 and code = $2
