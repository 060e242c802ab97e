-- Per brand, for paid revenue in [$1, $2): revenue, orders, units, and customers created.
-- Revenue counts paid, partially shipped and shipped orders by payment time
-- (orders_paid_at_v25_idx, index-only).
with revenue as (
  select tenant_id, sum(total_minor)::bigint as revenue_minor, count(*)::bigint as order_count,
         sum(units)::bigint as units_sold
  from app.orders
  where status in ('paid', 'partially_shipped', 'shipped') and paid_at >= $1 and paid_at < $2
  group by tenant_id
), customers as (
  select tenant_id, count(*)::bigint as new_customers
  from app.customers
  where created_at >= $1 and created_at < $2
  group by tenant_id
)
select t.slug, t.name, t.currency, t.is_active,
       coalesce(r.revenue_minor, 0) as revenue_minor,
       coalesce(r.order_count, 0) as order_count,
       coalesce(r.units_sold, 0) as units_sold,
       coalesce(c.new_customers, 0) as new_customers
from app.tenants t
left join revenue r on r.tenant_id = t.id
left join customers c on c.tenant_id = t.id
order by t.slug
