update app.refunds
set status = $3, provider_event_id = $4, settled_at = now()
where tenant_id = $1 and id = $2 and status = 'requested'
