-- One active product by number, with its active variants and their availability.
-- Each row carries the product as the API's StorefrontProduct JSON, built here so the API
-- passes it through without parsing (tests check the shape against the schema). Media URLs
-- point at the API; with S3 storage the API swaps in presigned URLs.
with page as (
  select p.tenant_id, p.id, p.number, p.handle, p.name, p.description, p.base_price_minor, p.category_id, null::real as rank
  from app.products p
  where p.status = 'active' and p.number = $1
),
vars as (
  select v.tenant_id, v.id, v.product_id, v.sku, v.options, v.price_override_minor, v.position
  from app.variants v
  join page on v.tenant_id = page.tenant_id and v.product_id = page.id
  where v.is_active
),
-- Availability of every variant of the page in two set-based aggregates (not per variant):
-- on the shelf minus held, in active zones, plus holds that expired but were not released.
shelf as (
  select s.variant_id, sum(s.on_hand - s.reserved) as all_zones,
         sum(s.on_hand - s.reserved) filter (where s.zone_id = $3) as in_zone
  from app.stock s
  join vars on vars.tenant_id = s.tenant_id and vars.id = s.variant_id
  join app.zones z on z.id = s.zone_id and z.is_active
  group by s.variant_id
),
freed as (
  select h.variant_id, sum(h.quantity) as all_zones,
         sum(h.quantity) filter (where h.zone_id = $3) as in_zone
  from app.holds h
  join vars on vars.tenant_id = h.tenant_id and vars.id = h.variant_id
  join app.zones z on z.id = h.zone_id and z.is_active
  where h.status = 'active' and h.expires_at <= now()
  group by h.variant_id
)
select page.number, page.rank,
       json_build_object(
         'number', page.number,
         'handle', page.handle,
         'name', page.name,
         'description', page.description,
         'category', json_build_object('code', c.code, 'name', c.name),
         'currency', $2::text,
         'price_minor', page.base_price_minor,
         'variants', coalesce((
           select json_agg(json_build_object(
                    'sku', v.sku,
                    'options', v.options,
                    'price_minor', coalesce(v.price_override_minor, page.base_price_minor),
                    'available', coalesce(s.all_zones, 0) + coalesce(f.all_zones, 0),
                    'available_in_zone', case when $3::uuid is null then null
                                              else coalesce(s.in_zone, 0) + coalesce(f.in_zone, 0) end)
                  order by v.position)
           from vars v
           left join shelf s on s.variant_id = v.id
           left join freed f on f.variant_id = v.id
           where v.product_id = page.id
         ), '[]'::json),
         'media', coalesce((
           select json_agg(json_build_object(
                    'name', m.name,
                    'content_type', m.content_type,
                    'url', '/v1/storefront/media/' || page.number || '/' || m.name)
                  order by m.position, m.name)
           from app.product_media m
           where m.tenant_id = page.tenant_id and m.product_id = page.id
         ), '[]'::json)
       )::text as item
from page
join app.categories c on c.tenant_id = page.tenant_id and c.id = page.category_id
