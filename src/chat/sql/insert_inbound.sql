-- A duplicate delivery (same wamid) inserts nothing and returns nothing.
insert into app.chat_messages (tenant_id, conversation_id, direction, wamid, kind, body, author, status, created_at)
values ($1, $2, 'inbound', $3, $4, $5, 'customer', 'received', $6)
on conflict (tenant_id, wamid) where wamid is not null do nothing
returning id
