-- Each line's share of the discount ($3 line ids, $4 discounts).
update app.order_lines l
set discount_minor = d.discount_minor
from unnest($3::uuid[], $4::bigint[]) as d (id, discount_minor)
where l.tenant_id = $1 and l.order_id = $2 and l.id = d.id
