-- The storefront statements' shared tail as it was before V40 (sql/V40__availability_by_product.sql),
-- kept for bench/prerender.sh BENCH_OLD=v32: PostgreSQL built each product's JSON, reading
-- each variant's figure with one primary-key lookup (V32's app.variant_availability, which the
-- script puts back for the run).
-- The shared end of the storefront statements (storefront_list.sql, storefront_search.sql,
-- storefront_product.sql), appended to each in src/catalog/repo.rs. Each of them ends with a
-- CTE `page` (tenant_id, id, number, rank, locale) of brand $1 and binds $2 (currency) and $3
-- (zone, or NULL); this part assembles one row per product in `page.locale` from its stored
-- document (app.storefront_documents, rendered when the catalog changes:
-- sql/V35__storefront_documents.sql) and its active variants' availability. Columns:
--   number, rank: the position, for the cursor;
--   item: the product as the API's StorefrontProduct JSON, passed through by the API without
--         parsing (tests check the shape against the schema, and that it is byte for byte what
--         the statement built before the documents were stored). Media URLs point at the API;
--         with S3 storage the API swaps in presigned URLs.
-- Rows come by rank (search), then number.
, docs as materialized (
  select page.id, page.number, page.rank, d.head, d.middle, d.variant_ids, d.variants, d.tail
  from page
  join app.storefront_documents d
    on d.tenant_id = $1 and d.tenant_id = page.tenant_id and d.product_id = page.id
   and d.locale = page.locale
),
items as (
  select docs.id as product_id, v.variant_id, v.fragment, v.n
  from docs
  cross join lateral unnest(docs.variant_ids, docs.variants) with ordinality as v(variant_id, fragment, n)
),
-- Each variant's availability, from one call of app.variant_availability (the one definition,
-- sql/V32__maintained_availability.sql) for every variant of the page; a variant without a
-- row has never had stock.
bodies as (
  select items.product_id,
         string_agg(items.fragment
                    || ', "available" : ' || coalesce(a.all_zones, 0)
                    || ', "available_in_zone" : '
                    || case when $3::uuid is null then 'null' else coalesce(a.in_zone, 0)::text end
                    || '}', ', ' order by items.n) as body
  from items
  left join app.variant_availability(array(select items.variant_id from items), $3::uuid) a
    on a.variant_id = items.variant_id
  group by items.product_id
)
select docs.number, docs.rank,
       docs.head || to_json($2::text)::text || docs.middle || coalesce(bodies.body, '')
         || docs.tail as item
from docs
left join bodies on bodies.product_id = docs.id
order by docs.rank desc nulls last, docs.number
