select c.id, c.wa_id, c.state, c.language, c.last_message_at, c.last_inbound_at, cu.name as customer_name,
       (select body from app.chat_messages m where m.tenant_id = c.tenant_id and m.conversation_id = c.id
        order by m.created_at desc limit 1) as last_body,
       (select author from app.chat_messages m where m.tenant_id = c.tenant_id and m.conversation_id = c.id
        order by m.created_at desc limit 1) as last_author
from app.conversations c
join app.customers cu on cu.tenant_id = c.tenant_id and cu.id = c.customer_id
where c.tenant_id = $1
order by c.last_message_at desc nulls last
limit $2
