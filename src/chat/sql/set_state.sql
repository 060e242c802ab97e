update app.conversations set state = $3 where tenant_id = $1 and id = $2
