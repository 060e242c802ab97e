update app.variants set is_active = $2, updated_at = now()
where id = any($1::uuid[])
