-- The last turns of a conversation, oldest first.
select author, body from (
  select author, body, created_at from app.chat_messages
  where tenant_id = $1 and conversation_id = $2 and body is not null and id <> $3
  order by created_at desc limit $4
) t order by created_at
