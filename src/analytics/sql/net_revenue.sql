-- Per brand and currency in [$1, $2): what orders captured (by payment time, whatever became
-- of them since: shipped, refunded or cancelled after payment), what confirmed refunds paid
-- back (by the time the provider confirmed them), and the difference, net revenue.
with captured as (
  select tenant_id, currency, sum(total_minor)::bigint as captured_minor,
         count(*)::bigint as paid_orders
  from app.orders
  where paid_at >= $1 and paid_at < $2
  group by tenant_id, currency
), refunded as (
  select tenant_id, currency, sum(amount_minor)::bigint as refunded_minor,
         count(*)::bigint as refund_count
  from app.refunds
  where status = 'refunded' and settled_at >= $1 and settled_at < $2
  group by tenant_id, currency
), keys as (
  select tenant_id, currency from captured
  union
  select tenant_id, currency from refunded
)
select t.slug, t.name, k.currency,
       coalesce(c.captured_minor, 0) as captured_minor,
       coalesce(c.paid_orders, 0) as paid_orders,
       coalesce(r.refunded_minor, 0) as refunded_minor,
       coalesce(r.refund_count, 0) as refund_count,
       coalesce(c.captured_minor, 0) - coalesce(r.refunded_minor, 0) as net_minor
from keys k
join app.tenants t on t.id = k.tenant_id
left join captured c on c.tenant_id = k.tenant_id and c.currency = k.currency
left join refunded r on r.tenant_id = k.tenant_id and r.currency = k.currency
order by t.slug, k.currency
