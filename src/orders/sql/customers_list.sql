select c.id, c.name, c.email, c.phone, c.whatsapp_id, c.preferred_language, c.created_at,
       (select count(*) from app.orders o where o.tenant_id = c.tenant_id and o.customer_id = c.id) as order_count
from app.customers c
where c.tenant_id = $1
  and ($2::text is null or c.email ilike '%' || $2 || '%' or c.name ilike '%' || $2 || '%')
order by c.created_at desc
limit $3
