select id, direction, author, kind, body, status, error_code, error_title, created_at
from app.chat_messages where conversation_id = $1 order by created_at, id
