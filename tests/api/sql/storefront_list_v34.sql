-- Active products of the transaction's brand in number order after the cursor ($3), optionally
-- in category $4, at most $5. Row-level security alone picks the brand. Numbers only grow, so
-- products added while a client pages appear at the end and nothing is seen twice or skipped.
-- $6 is the negotiated locale, carried in `page.locale`. Continued by storefront_item.sql (the
-- variants, their availability and the product JSON; $1 currency, $2 zone), appended to this
-- text in src/catalog/repo.rs.
with page as (
  select p.tenant_id, p.id, p.number, p.handle, p.name, p.description, p.base_price_minor, p.category_id, null::real as rank,
         $6::text as locale
  from app.products p
  where p.status = 'active'
    and p.number > $3
    and ($4::text is null or exists (select from app.categories k
                                    where k.tenant_id = p.tenant_id and k.id = p.category_id and k.code = $4))
  order by p.number
  limit $5
)
