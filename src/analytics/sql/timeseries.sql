-- Paid revenue and orders per brand per bucket ($3: 'day' or 'week', UTC), every bucket of
-- [$1, $2) present, zeros included. From the maintained rollup app.sales_daily
-- (sql/V37__sales_rollups.sql): per brand, one primary-key range of days, grouped by bucket.
with buckets as (
  select generate_series(date_trunc($3, $1::timestamptz), $2::timestamptz - interval '1 microsecond',
                         ('1 ' || $3)::interval) as start
), bounds as (
  select ($1::timestamptz at time zone 'UTC')::date as d0, ($2::timestamptz at time zone 'UTC')::date as d1
), agg as (
  select t.id as tenant_id, a.start, a.revenue_minor, a.order_count
  from app.tenants t
  cross join bounds b
  cross join lateral (
    -- Per day first (in index order), then per bucket.
    select date_trunc($3, d.day::timestamp) at time zone 'UTC' as start,
           sum(d.revenue_minor)::bigint as revenue_minor, sum(d.order_count)::bigint as order_count
    from (
      select s.day, sum(s.revenue_minor) as revenue_minor, sum(s.orders) as order_count
      from app.sales_daily s
      where s.tenant_id = t.id and s.day >= b.d0 and s.day < b.d1
      group by s.day
    ) d
    group by 1
  ) a
)
select t.slug, t.currency, b.start,
       coalesce(a.revenue_minor, 0) as revenue_minor, coalesce(a.order_count, 0) as order_count
from app.tenants t
cross join buckets b
left join agg a on a.tenant_id = t.id and a.start = b.start
order by t.slug, b.start
