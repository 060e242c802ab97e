-- Text search over brand $1's active products, in the negotiated locale $10 and in the
-- product's own text: full-text on the locale's translation (its language's configuration,
-- accents folded: "champu" finds "Champú"; sql/V29__translations.sql) and on the product's own
-- name and description ('simple', any language), plus substring matches on either name through
-- the trigram indexes (partial words, scripts without spaces). $6 is the query, $7 its ILIKE
-- pattern (escaped), $5 a category. Ordered by relevance, then number; the cursor carries both
-- ($8, $4); at most $9. $11, when not null, is the query with Spanish and Portuguese plurals
-- the stemmer keeps made singular ("champús" → "champú", src/search/sparse.rs): either
-- spelling matches.
-- Continued by storefront_item.sql (the product's stored document and its variants' availability;
-- $2 currency, $3 zone), appended to this text in src/catalog/repo.rs.
with q as (select websearch_to_tsquery('simple', $6)
                    || websearch_to_tsquery('simple', coalesce($11::text, $6)) as tsq,
                  websearch_to_tsquery(app.locale_ts_config($10), $6)
                    || websearch_to_tsquery(app.locale_ts_config($10), coalesce($11::text, $6)) as ltsq),
matches as (
  select p.tenant_id, p.id, p.number,
         (greatest(ts_rank(p.search, q.tsq), coalesce(ts_rank(t.search, q.ltsq), 0))
          + case when p.name ilike $7 or t.name ilike $7 then 0.5::real else 0::real end) as rank,
         $10::text as locale
  from app.products p
  cross join q
  left join app.product_translations t
    on t.tenant_id = p.tenant_id and t.product_id = p.id and t.locale = $10
  where p.tenant_id = $1
    and p.status = 'active'
    and (p.search @@ q.tsq or p.name ilike $7 or t.search @@ q.ltsq or t.name ilike $7)
    and ($5::text is null or exists (select from app.categories k
                                    where k.tenant_id = p.tenant_id and k.id = p.category_id and k.code = $5))
),
page as (
  select * from matches m
  where ($8::real is null or m.rank < $8 or (m.rank = $8 and m.number > $4))
  order by m.rank desc, m.number
  limit $9
)
