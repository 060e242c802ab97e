update app.customer_notifications
set status = 'sent', wamid = $3, error_code = null, error_title = null, sent_at = now(),
    updated_at = now()
where tenant_id = $1 and id = $2
