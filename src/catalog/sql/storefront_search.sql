-- Text search over the brand's active products: full-text on name and description ('simple'
-- configuration, any language), plus substring matches on the name through the trigram index
-- (partial words, scripts without spaces). Ordered by relevance, then number; the cursor
-- carries both ($5, $1). $4 is the ILIKE pattern of the query, escaped.
-- Each row carries the product as the API's StorefrontProduct JSON, built here so the API
-- passes it through without parsing (tests check the shape against the schema).
with q as (select websearch_to_tsquery('simple', $3) as tsq),
matches as (
  select p.*, (ts_rank(p.search, q.tsq) + case when p.name ilike $4 then 0.5::real else 0::real end) as rank
  from app.products p, q
  where p.status = 'active'
    and (p.search @@ q.tsq or p.name ilike $4)
)
select p.number, p.rank,
       json_build_object(
         'number', p.number,
         'handle', p.handle,
         'name', p.name,
         'description', p.description,
         'category', json_build_object('code', c.code, 'name', c.name),
         'currency', $7::text,
         'price_minor', p.base_price_minor,
         'variants', coalesce((
           select json_agg(json_build_object(
                    'sku', v.sku,
                    'options', v.options,
                    'price_minor', coalesce(v.price_override_minor, p.base_price_minor),
                    'available', app.available(v.id),
                    'available_in_zone', case when $8::uuid is null then null else app.available(v.id, $8) end)
                  order by v.position)
           from app.variants v
           where v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active
         ), '[]'::json)
       )::text as item
from matches p
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where ($2::text is null or c.code = $2)
  and ($5::real is null or p.rank < $5 or (p.rank = $5 and p.number > $1))
order by p.rank desc, p.number
limit $6
