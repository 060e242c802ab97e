update app.holds set status = $3, ended_at = now()
where tenant_id = $1 and id = any($2::uuid[]) and status = 'active'
