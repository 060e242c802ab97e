-- Per brand, for paid revenue in [$1, $2) (UTC midnights): revenue, orders, units, and
-- customers created. Revenue counts paid, partially shipped and shipped orders by payment day,
-- read from the maintained rollups per day, month and calendar year (sql/V37__analytics_rollups.sql,
-- sql/V39__sales_rollup_levels.sql; their four slots per period summed): the range is read as
-- the signed pieces of app.sales_range_pieces (V39), which add up to it exactly; per brand,
-- primary-key ranges only. New customers: one range of customers_tenant_created_idx per brand.
with pieces as materialized (
  select k.level, k.lo, k.hi, k.sign
  from app.sales_range_pieces(($1::timestamptz at time zone 'UTC')::date,
                              ($2::timestamptz at time zone 'UTC')::date,
                              (now() at time zone 'UTC')::date) k
)
select t.slug, t.name, t.currency, t.is_active,
       coalesce(r.revenue_minor, 0) as revenue_minor,
       coalesce(r.order_count, 0) as order_count,
       coalesce(r.units_sold, 0) as units_sold,
       (select count(*) from app.customers c
        where c.tenant_id = t.id and c.created_at >= $1 and c.created_at < $2) as new_customers
from app.tenants t
cross join lateral (
  select sum(x.revenue_minor)::bigint as revenue_minor, sum(x.orders)::bigint as order_count,
         sum(x.units)::bigint as units_sold
  from pieces k
  cross join lateral (
    select k.sign * y.revenue_minor as revenue_minor, k.sign * y.orders as orders,
           k.sign * y.units as units
    from app.sales_yearly y
    where k.level = 'year' and y.tenant_id = t.id and y.year >= k.lo and y.year < k.hi
    union all
    select k.sign * m.revenue_minor, k.sign * m.orders, k.sign * m.units
    from app.sales_monthly m
    where k.level = 'month' and m.tenant_id = t.id and m.month >= k.lo and m.month < k.hi
    union all
    select k.sign * d.revenue_minor, k.sign * d.orders, k.sign * d.units
    from app.sales_daily d
    where k.level = 'day' and d.tenant_id = t.id and d.day >= k.lo and d.day < k.hi
  ) x
) r
order by t.slug
