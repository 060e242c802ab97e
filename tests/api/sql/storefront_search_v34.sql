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
