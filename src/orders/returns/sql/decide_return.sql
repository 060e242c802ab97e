update app.returns
set status = $3, decision_note = $4, decided_by = app.current_user_id(), decided_at = now()
where tenant_id = $1 and id = $2 and status = 'requested'
