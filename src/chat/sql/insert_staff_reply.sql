insert into app.chat_messages (conversation_id, direction, kind, body, author, author_user_id, status)
values ($1, 'outbound', 'text', $2, 'staff', app.current_user_id(), 'pending')
returning id
