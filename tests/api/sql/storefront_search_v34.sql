-- Text search over the brand's active products, in the negotiated locale $9 and in the
-- product's own text: full-text on the locale's translation (its language's configuration,
-- accents folded: "champu" finds "Champú"; sql/V29__translations.sql) and on the product's own
-- name and description ('simple', any language), plus substring matches on either name through
-- the trigram indexes (partial words, scripts without spaces). $5 is the query, $6 its ILIKE
-- pattern (escaped), $4 a category. Ordered by relevance, then number; the cursor carries both
-- ($7, $3); at most $8. $10, when not null, is the query with Spanish and Portuguese plurals
-- the stemmer keeps made singular ("champús" → "champú", src/search/sparse.rs): either
-- spelling matches.
-- Continued by storefront_item.sql (the variants, their availability and the product JSON;
-- $1 currency, $2 zone), appended to this text in src/catalog/repo.rs.
with q as (select websearch_to_tsquery('simple', $5)
                    || websearch_to_tsquery('simple', coalesce($10::text, $5)) as tsq,
                  websearch_to_tsquery(app.locale_ts_config($9), $5)
                    || websearch_to_tsquery(app.locale_ts_config($9), coalesce($10::text, $5)) as ltsq),
matches as (
  select p.tenant_id, p.id, p.number, p.handle, p.name, p.description, p.base_price_minor, p.category_id,
         (greatest(ts_rank(p.search, q.tsq), coalesce(ts_rank(t.search, q.ltsq), 0))
          + case when p.name ilike $6 or t.name ilike $6 then 0.5::real else 0::real end) as rank,
         $9::text as locale
  from app.products p
  cross join q
  left join app.product_translations t
    on t.tenant_id = p.tenant_id and t.product_id = p.id and t.locale = $9
  where p.status = 'active'
    and (p.search @@ q.tsq or p.name ilike $6 or t.search @@ q.ltsq or t.name ilike $6)
    and ($4::text is null or exists (select from app.categories k
                                    where k.tenant_id = p.tenant_id and k.id = p.category_id and k.code = $4))
),
page as (
  select * from matches m
  where ($7::real is null or m.rank < $7 or (m.rank = $7 and m.number > $3))
  order by m.rank desc, m.number
  limit $8
)
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
