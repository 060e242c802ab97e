update app.chat_messages set wamid = $2, status = 'sent', status_at = now() where id = $1 and status = 'pending'
