select c.id, c.wa_id, c.state, c.language, c.last_inbound_at, cu.name as customer_name
from app.conversations c
join app.customers cu on cu.tenant_id = c.tenant_id and cu.id = c.customer_id
where c.tenant_id = $1 and c.id = $2
