-- Each brand's best-selling products by paid revenue in [$1, $2), $3 per brand.
with sales as (
  select l.tenant_id, v.product_id,
         sum(l.quantity::bigint * l.unit_price_minor)::bigint as revenue_minor,
         sum(l.quantity)::bigint as units
  from app.orders o
  join app.order_lines l on l.tenant_id = o.tenant_id and l.order_id = o.id
  join app.variants v on v.tenant_id = l.tenant_id and v.id = l.variant_id
  where o.status in ('paid', 'partially_shipped', 'shipped') and o.paid_at >= $1 and o.paid_at < $2
  group by 1, 2
), ranked as (
  select s.*, row_number() over (partition by s.tenant_id order by s.revenue_minor desc, s.product_id) as rank
  from sales s
)
select t.slug, t.currency, p.number, p.name, r.revenue_minor, r.units, r.rank
from ranked r
join app.tenants t on t.id = r.tenant_id
join app.products p on p.tenant_id = r.tenant_id and p.id = r.product_id
where r.rank <= $3
order by t.slug, r.rank
