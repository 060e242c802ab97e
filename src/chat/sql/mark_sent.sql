update app.chat_messages set wamid = $3, status = 'sent', status_at = now()
where tenant_id = $1 and id = $2 and status = 'pending'
