-- The translated columns of a CSV import, set-based: one row per (product handle $1, locale
-- $2) with name $3 and description $4 (NULL: keep what the translation had). Runs after the
-- import's products are written, in the same tenant transaction.
insert into app.product_translations (product_id, locale, name, description)
select p.id, u.locale, u.name, u.description
from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as u(handle, locale, name, description)
join app.products p on p.handle = u.handle
on conflict (tenant_id, product_id, locale) do update
set name = coalesce(excluded.name, app.product_translations.name),
    description = coalesce(excluded.description, app.product_translations.description),
    updated_at = now()
