insert into app.conversations as c (tenant_id, customer_id, wa_id, last_inbound_at, last_message_at)
values ($1, $2, $3, $4, $4)
on conflict (tenant_id, wa_id) do update
set last_inbound_at = greatest(c.last_inbound_at, excluded.last_inbound_at),
    last_message_at = greatest(c.last_message_at, excluded.last_message_at)
returning id
