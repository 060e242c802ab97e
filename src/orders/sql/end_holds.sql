update app.holds set status = $2, ended_at = now()
where id = any($1::uuid[]) and status = 'active'
