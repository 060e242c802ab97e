-- A WhatsApp customer is known by wa_id within the brand.
insert into app.customers (name, whatsapp_id, phone)
values (coalesce($2, ''), $1, case when $1 ~ '^[1-9][0-9]{6,14}$' then '+' || $1 end)
on conflict (tenant_id, whatsapp_id) where whatsapp_id is not null
do update set name = case when coalesce($2, '') <> '' then $2 else app.customers.name end, updated_at = now()
returning id
