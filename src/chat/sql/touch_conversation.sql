update app.conversations set last_message_at = now() where tenant_id = $1 and id = $2
