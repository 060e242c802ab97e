update app.conversations set last_message_at = now() where id = $1
