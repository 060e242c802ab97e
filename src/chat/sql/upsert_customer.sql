-- A WhatsApp customer is known by wa_id within the brand ($1).
insert into app.customers as cu (tenant_id, name, whatsapp_id, phone)
values ($1, coalesce($3, ''), $2, case when $2 ~ '^[1-9][0-9]{6,14}$' then '+' || $2 end)
on conflict (tenant_id, whatsapp_id) where whatsapp_id is not null
do update set name = case when coalesce($3, '') <> '' then $3 else cu.name end, updated_at = now()
returning id
