-- Paid revenue and orders per brand per bucket ($3: 'day' or 'week', UTC), every bucket of
-- [$1, $2) present, zeros included.
with buckets as (
  select generate_series(date_trunc($3, $1::timestamptz), $2::timestamptz - interval '1 microsecond',
                         ('1 ' || $3)::interval) as start
), agg as (
  select tenant_id, date_trunc($3, paid_at) as start, sum(total_minor)::bigint as revenue_minor,
         count(*)::bigint as order_count
  from app.orders
  where status in ('paid', 'partially_shipped', 'shipped') and paid_at >= $1 and paid_at < $2
  group by 1, 2
)
select t.slug, t.currency, b.start,
       coalesce(a.revenue_minor, 0) as revenue_minor, coalesce(a.order_count, 0) as order_count
from app.tenants t
cross join buckets b
left join agg a on a.tenant_id = t.id and a.start = b.start
order by t.slug, b.start
