-- What the reply worker needs about an inbound message.
select m.wamid, m.body, c.id as conversation_id, c.state, c.language, c.wa_id,
       c.last_inbound_at, cu.preferred_language
from app.chat_messages m
join app.conversations c on c.tenant_id = m.tenant_id and c.id = m.conversation_id
join app.customers cu on cu.tenant_id = c.tenant_id and cu.id = c.customer_id
where m.tenant_id = $1 and m.id = $2 and m.direction = 'inbound'
