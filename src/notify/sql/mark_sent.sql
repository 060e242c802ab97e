update app.customer_notifications
set status = 'sent', wamid = $2, error_code = null, error_title = null, sent_at = now(),
    updated_at = now()
where tenant_id = app.current_tenant() and id = $1
