-- The shared end of the storefront statements (storefront_list.sql, storefront_search.sql,
-- storefront_product.sql), appended to each in src/catalog/repo.rs. Each of them ends with a
-- CTE `page` (tenant_id, id, number, handle, name, description, base_price_minor, category_id,
-- rank, locale) and binds $1 (currency) and $2 (zone, or NULL); this part adds each product's
-- active variants with their availability and builds one row per product in `page.locale`:
-- each translated field (name, description, category name, option labels) falls back on its
-- own to the product's text, which is the brand's default locale's. Columns:
--   number, rank: the position, for the cursor;
--   item: the product as the API's StorefrontProduct JSON, built here so the API passes it
--         through without parsing (tests check the shape against the schema). Media URLs point
--         at the API; with S3 storage the API swaps in presigned URLs.
-- Rows come by rank (search), then number.
, vars as (
  select v.tenant_id, v.id, v.product_id, v.sku, v.options, v.price_override_minor, v.position
  from app.variants v
  join page on v.tenant_id = page.tenant_id and v.product_id = page.id
  where v.is_active
),
-- Each variant with its availability, from one call of app.variant_availability (the one
-- definition, sql/V11__availability.sql) for every variant of the page: not once per variant
-- or per product. Materialized: the per-product subquery below reads it, and would otherwise
-- run the join, and the call, once per product.
items as materialized (
  select vars.id, vars.product_id, vars.sku, vars.options, vars.price_override_minor, vars.position,
         coalesce(a.all_zones, 0) as available,
         case when $2::uuid is null then null else coalesce(a.in_zone, 0) end as available_in_zone
  from vars
  left join app.variant_availability(array(select vars.id from vars), $2::uuid) a on a.variant_id = vars.id
)
select page.number, page.rank,
       json_build_object(
         'number', page.number,
         'handle', page.handle,
         'name', coalesce(tr.name, page.name),
         'description', coalesce(tr.description, page.description),
         'category', json_build_object('code', c.code, 'name', coalesce(ct.name, c.name)),
         'currency', $1::text,
         'price_minor', page.base_price_minor,
         'variants', coalesce((
           select json_agg(json_build_object(
                    'sku', v.sku,
                    'options', (
                      select coalesce(jsonb_agg(jsonb_build_object(
                               'axis', coalesce(tr.option_labels->>(o->>'axis'), o->>'axis'),
                               'value', coalesce(tr.option_labels->>(o->>'value'), o->>'value'))
                             order by n), '[]'::jsonb)
                      from jsonb_array_elements(v.options) with ordinality as x(o, n)),
                    'price_minor', coalesce(v.price_override_minor, page.base_price_minor),
                    'available', v.available,
                    'available_in_zone', v.available_in_zone)
                  order by v.position)
           from items v
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
left join app.product_translations tr
  on tr.tenant_id = page.tenant_id and tr.product_id = page.id and tr.locale = page.locale
left join app.category_translations ct
  on ct.tenant_id = page.tenant_id and ct.category_id = c.id and ct.locale = page.locale
order by page.rank desc nulls last, page.number
