-- The bot's reply to an inbound message: created once (pending), then sent. Returns the row
-- and whether it still has to be sent.
with ins as (
  insert into app.chat_messages (conversation_id, direction, kind, body, author, reply_to, status)
  values ($1, 'outbound', 'text', $2, 'bot', $3, 'pending')
  on conflict (tenant_id, reply_to) where reply_to is not null do nothing
  returning id, status, body
)
select id, status, body from ins
union all
select id, status, body from app.chat_messages where reply_to = $3 and not exists (select from ins)
