-- The last turns of a conversation, oldest first.
select author, body from (
  select author, body, created_at from app.chat_messages
  where conversation_id = $1 and body is not null and id <> $2
  order by created_at desc limit $3
) t order by created_at
