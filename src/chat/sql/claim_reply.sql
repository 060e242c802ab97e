-- The bot's reply to an inbound message: created once (pending), then sent. Returns the row
-- and whether it still has to be sent. $1 is the brand.
with ins as (
  insert into app.chat_messages (tenant_id, conversation_id, direction, kind, body, author, reply_to, status)
  values ($1, $2, 'outbound', 'text', $3, 'bot', $4, 'pending')
  on conflict (tenant_id, reply_to) where reply_to is not null do nothing
  returning id, status, body
)
select id, status, body from ins
union all
select id, status, body from app.chat_messages
where tenant_id = $1 and reply_to = $4 and not exists (select from ins)
