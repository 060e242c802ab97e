-- The facts the assistant may state about the brand's ($1) products ($2): name (in the
-- customer's language $3, an ISO 639-1 code, when the product has a translation into a locale
-- of that language, the exact tag first, among the brand's current locales: a removed locale's
-- translations are kept but never shown; else the product's own), lowest active price, units
-- available now over all active zones (app.product_availability, the storefront's definition:
-- expired holds count as free). Active products only.
with vars as (
  select v.tenant_id, v.id, v.product_id, v.price_override_minor
  from app.variants v
  where v.tenant_id = $1 and v.product_id = any ($2::uuid[]) and v.is_active
)
select p.id,
       coalesce((select t.name from app.product_translations t
                 where t.tenant_id = p.tenant_id and t.product_id = p.id and t.name is not null
                   and split_part(t.locale, '-', 1) = $3::text
                   and t.locale = any (coalesce((select b.locales from app.brand_locales b where b.tenant_id = $1), '{en}'))
                 order by t.locale = $3::text desc, t.locale
                 limit 1), p.name) as name,
       coalesce(min(coalesce(v.price_override_minor, p.base_price_minor)), p.base_price_minor) as price_minor,
       coalesce(sum(a.all_zones), 0)::bigint as available
from app.products p
left join vars v on v.tenant_id = p.tenant_id and v.product_id = p.id
left join app.product_availability($2::uuid[]) a on a.variant_id = v.id
where p.tenant_id = $1 and p.id = any ($2::uuid[]) and p.status = 'active'
group by p.tenant_id, p.id, p.name, p.base_price_minor
