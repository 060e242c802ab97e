-- A duplicate delivery (same wamid) inserts nothing and returns nothing.
insert into app.chat_messages (conversation_id, direction, wamid, kind, body, author, status, created_at)
values ($1, 'inbound', $2, $3, $4, 'customer', 'received', $5)
on conflict (tenant_id, wamid) where wamid is not null do nothing
returning id
