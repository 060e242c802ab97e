-- One active product of brand $1 by number ($4) in locale $5 (carried in `page.locale`).
-- Continued by storefront_item.sql (the product's stored document and its variants' availability;
-- $2 currency, $3 zone), appended to this text in src/catalog/repo.rs.
with page as (
  select p.tenant_id, p.id, p.number, null::real as rank,
         $5::text as locale
  from app.products p
  where p.tenant_id = $1 and p.status = 'active' and p.number = $4
)
