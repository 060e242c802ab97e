update app.returns
set status = 'received', zone_id = $3, received_by = app.current_user_id(), received_at = now()
where tenant_id = $1 and id = $2 and status = 'approved'
