-- Per brand, for paid revenue in [$1, $2) (UTC midnights): revenue, orders, units, and
-- customers created. Revenue counts paid, partially shipped and shipped orders by payment day,
-- read from the maintained rollup app.sales_daily (sql/V37__sales_rollups.sql: its four slots
-- per brand and day summed), one primary-key range per brand.
with bounds as (
  select ($1::timestamptz at time zone 'UTC')::date as d0, ($2::timestamptz at time zone 'UTC')::date as d1
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
cross join bounds b
cross join lateral (
  select sum(s.revenue_minor)::bigint as revenue_minor, sum(s.orders)::bigint as order_count,
         sum(s.units)::bigint as units_sold
  from app.sales_daily s
  where s.tenant_id = t.id and s.day >= b.d0 and s.day < b.d1
) r
left join customers c on c.tenant_id = t.id
order by t.slug
