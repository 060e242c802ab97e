insert into app.conversations (customer_id, wa_id, last_inbound_at, last_message_at)
values ($1, $2, $3, $3)
on conflict (tenant_id, wa_id) do update
set last_inbound_at = greatest(app.conversations.last_inbound_at, excluded.last_inbound_at),
    last_message_at = greatest(app.conversations.last_message_at, excluded.last_message_at)
returning id
