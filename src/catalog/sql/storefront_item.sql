-- The shared end of the storefront statements (storefront_list.sql, storefront_search.sql,
-- storefront_product.sql), appended to each in src/catalog/repo.rs. Each of them ends with a
-- CTE `page` (tenant_id, id, number, rank, locale) of brand $1 and binds $2 (currency) and $3
-- (zone, or NULL). This part returns the pieces the API assembles each product's JSON from
-- (src/catalog/repo.rs, `storefront_items`), in two kinds of rows:
--   kind 0, one per product: its position (ord: by rank for a search, then number; number and
--         rank for the cursor) and its stored document (app.storefront_documents, rendered when
--         the catalog changes: sql/V35__storefront_documents.sql) in `page.locale`: the head
--         with the brand's currency spliced in, the active variants' ids and fragments, the
--         tail;
--   kind 1, one row for the whole page: the availability of those products' variants
--         (app.product_availability, the one definition, sql/V32__maintained_availability.sql,
--         read by product: sql/V40__availability_by_product.sql) as arrays of one length:
--         variant ids, figures over all zones and, only when zone $3 is given, figures in it
--         (the column is NULL otherwise); a variant without a figure has never had stock.
-- The API reads the columns by position (kind, ord, number, rank, head, variant_ids, variants,
-- tail, all_zones, in_zone): keep their order.
-- The API writes each fragment followed by its figures, so PostgreSQL does not concatenate
-- and aggregate some 2,000 strings per page (bench/README.md, "Availability by product"); the
-- figures travel as arrays in one row rather than a row per variant, so neither side builds,
-- sends and decodes some 2,000 rows per page (bench/README.md, "The page's figures in one
-- row").
-- The JSON is the API's StorefrontProduct, passed through without parsing (tests check the
-- shape against the schema, and that it is byte for byte what the statement built before the
-- documents were stored). Media URLs point at the API; with S3 storage the API swaps in
-- presigned URLs.
, docs as materialized (
  select page.id, page.number, page.rank, d.head, d.middle, d.variant_ids, d.variants, d.tail
  from page
  join app.storefront_documents d
    on d.tenant_id = $1 and d.tenant_id = page.tenant_id and d.product_id = page.id
   and d.locale = page.locale
)
select 0 as kind,
       row_number() over (order by docs.rank desc nulls last, docs.number)::integer as ord,
       docs.number, docs.rank,
       docs.head || to_json($2::text)::text || docs.middle as head,
       docs.variant_ids, docs.variants, docs.tail,
       null::bigint[] as all_zones, null::bigint[] as in_zone
from docs
union all
select 1, null, null, null, null, array_agg(a.variant_id), null, null,
       array_agg(a.all_zones), array_agg(a.in_zone) filter (where $3::uuid is not null)
from app.product_availability(array(select docs.id from docs), $3::uuid) a
