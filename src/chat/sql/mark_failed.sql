update app.chat_messages set status = 'failed', status_at = now(), error_code = $2, error_title = $3
where id = $1
