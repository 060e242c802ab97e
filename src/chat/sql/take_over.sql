-- Staff take a conversation over from the assistant: only one the assistant still has changes
-- (so the handoff is recorded once, however many staff replies follow or race).
update app.conversations set state = 'human' where tenant_id = $1 and id = $2 and state = 'bot'
