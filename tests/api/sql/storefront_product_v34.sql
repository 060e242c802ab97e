-- One active product by number ($3) in locale $4 (carried in `page.locale`). Continued by
-- storefront_item.sql (the variants, their availability and the product JSON; $1 currency,
-- $2 zone), appended to this text in src/catalog/repo.rs.
with page as (
  select p.tenant_id, p.id, p.number, p.handle, p.name, p.description, p.base_price_minor, p.category_id, null::real as rank,
         $4::text as locale
  from app.products p
  where p.status = 'active' and p.number = $3
)
