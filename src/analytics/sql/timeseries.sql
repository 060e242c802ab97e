-- Paid revenue and orders per brand per bucket ($3: 'day' or 'week', UTC), every bucket of
-- [$1, $2) present, zeros included. From the maintained rollups (sql/V37__analytics_rollups.sql,
-- sql/V39__sales_rollup_levels.sql; their four slots per period summed): per brand, by
-- day the days of the range from app.sales_daily; by week the whole weeks of the range from
-- app.sales_weekly and the days of the partial weeks at its ends from app.sales_daily.
with buckets as (
  select generate_series(date_trunc($3, $1::timestamptz), $2::timestamptz - interval '1 microsecond',
                         ('1 ' || $3)::interval) as start
), range as (
  select ($1::timestamptz at time zone 'UTC')::date as d0, ($2::timestamptz at time zone 'UTC')::date as d1
), weeks as (
  -- [w0, w1): the Mondays of the whole weeks in [d0, d1) when the buckets are weeks; empty
  -- (w0 = w1 = d1) otherwise, and then every day comes from the daily rows.
  select r.d0, r.d1,
         case when $3 = 'week' and w.w0 < w.w1 then w.w0 else r.d1 end as w0,
         case when $3 = 'week' and w.w0 < w.w1 then w.w1 else r.d1 end as w1
  from range r
  cross join lateral (
    select case when r.d0 = date_trunc('week', r.d0)::date then r.d0
                else (date_trunc('week', r.d0) + interval '1 week')::date end as w0,
           date_trunc('week', r.d1)::date as w1
  ) w
), agg as (
  select t.id as tenant_id, a.start, a.revenue_minor, a.order_count
  from app.tenants t
  cross join weeks b
  cross join lateral (
    select date_trunc($3, x.period::timestamp) at time zone 'UTC' as start,
           sum(x.revenue_minor)::bigint as revenue_minor, sum(x.orders)::bigint as order_count
    from (
      select s.day as period, s.revenue_minor, s.orders
      from app.sales_daily s
      where s.tenant_id = t.id and s.day >= b.d0 and s.day < b.w0
      union all
      select s.week, s.revenue_minor, s.orders
      from app.sales_weekly s
      where s.tenant_id = t.id and s.week >= b.w0 and s.week < b.w1
      union all
      select s.day, s.revenue_minor, s.orders
      from app.sales_daily s
      where s.tenant_id = t.id and s.day >= b.w1 and s.day < b.d1
    ) x
    group by 1
  ) a
)
select t.slug, t.currency, b.start,
       coalesce(a.revenue_minor, 0) as revenue_minor, coalesce(a.order_count, 0) as order_count
from app.tenants t
cross join buckets b
left join agg a on a.tenant_id = t.id and a.start = b.start
order by t.slug, b.start
