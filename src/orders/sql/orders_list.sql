-- Staff order list, newest first, after the cursor's number.
select o.id, o.number, o.status, o.currency, o.total_minor, o.created_at, o.paid_at,
       o.customer_name, c.email as customer_email,
       (select count(*) from app.order_lines l where l.tenant_id = o.tenant_id and l.order_id = o.id) as line_count
from app.orders o
join app.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id
where o.tenant_id = $1
  and ($2::int is null or o.number < $2)
  and ($3::text is null or o.status = $3)
  and ($4::timestamptz is null or o.created_at >= $4)
  and ($5::timestamptz is null or o.created_at < $5)
  and ($6::text is null or c.email = $6)
order by o.number desc
limit $7
