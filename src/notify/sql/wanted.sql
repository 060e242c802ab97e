-- Whether the order's customer is to be told of event $3 ('paid' or 'shipped'): the brand
-- sends it, and the order has a phone number to send it to. No row: no.
select case $3::text when 'paid' then s.paid_enabled else s.shipped_enabled end as wanted
from app.notification_settings s
join app.orders o on o.tenant_id = s.tenant_id
where s.tenant_id = $1 and o.id = $2 and o.customer_phone is not null
