-- Active products of brand $1 in number order after the cursor ($4), optionally in category
-- $5, at most $6. Numbers only grow, so products added while a client pages appear at the end
-- and nothing is seen twice or skipped. $7 is the negotiated locale, carried in `page.locale`.
-- Continued by storefront_item.sql (the product's stored document and its variants'
-- availability; $2 currency, $3 zone), appended to this text in src/catalog/repo.rs.
with page as (
  select p.tenant_id, p.id, p.number, null::real as rank,
         $7::text as locale
  from app.products p
  where p.tenant_id = $1
    and p.status = 'active'
    and p.number > $4
    and ($5::text is null or exists (select from app.categories k
                                    where k.tenant_id = p.tenant_id and k.id = p.category_id and k.code = $5))
  order by p.number
  limit $6
)
