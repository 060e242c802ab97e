update app.conversations set language = $3
where tenant_id = $1 and id = $2 and language is distinct from $3
