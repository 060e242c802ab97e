update app.chat_messages set status = 'failed', status_at = now(), error_code = $3, error_title = $4
where tenant_id = $1 and id = $2
