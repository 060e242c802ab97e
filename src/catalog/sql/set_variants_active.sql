update app.variants set is_active = $3, updated_at = now()
where tenant_id = $1 and id = any($2::uuid[])
