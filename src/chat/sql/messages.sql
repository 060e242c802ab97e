select id, direction, author, kind, body, status, error_code, error_title, created_at
from app.chat_messages where tenant_id = $1 and conversation_id = $2 order by created_at, id
