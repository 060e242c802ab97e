-- Per brand and promotion: the uses consumed by orders paid in [$1, $2), the discount they
-- gave, and the revenue (amount paid) of those orders, in the brand's currency. An order that
-- used two promotions counts in both.
select t.slug, t.currency, p.id as promotion_id, p.code, p.name,
       count(*)::bigint as uses,
       sum(u.discount_minor)::bigint as discount_minor,
       sum(o.total_minor)::bigint as revenue_minor
from app.promotion_uses u
join app.orders o on o.tenant_id = u.tenant_id and o.id = u.order_id
join app.promotions p on p.tenant_id = u.tenant_id and p.id = u.promotion_id
join app.tenants t on t.id = u.tenant_id
where u.status = 'consumed' and o.paid_at >= $1 and o.paid_at < $2
group by t.slug, t.currency, p.id, p.code, p.name
order by t.slug, revenue_minor desc, p.id
