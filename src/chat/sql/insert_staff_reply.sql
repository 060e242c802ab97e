insert into app.chat_messages (tenant_id, conversation_id, direction, kind, body, author, author_user_id, status)
values ($1, $2, 'outbound', 'text', $3, 'staff', app.current_user_id(), 'pending')
returning id
