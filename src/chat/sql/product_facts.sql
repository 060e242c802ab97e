-- The facts the assistant may state about products: name, lowest active price, units
-- available now (active zones, unexpired holds). Active products only.
select p.id, p.name,
       coalesce(min(coalesce(v.price_override_minor, p.base_price_minor)), p.base_price_minor) as price_minor,
       coalesce(sum(greatest(app.available(v.id), 0)), 0)::bigint as available
from app.products p
left join app.variants v on v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active
where p.id = any($1::uuid[]) and p.status = 'active'
group by p.id, p.name, p.base_price_minor
