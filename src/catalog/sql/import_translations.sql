-- The translated columns of a CSV import for brand $1, set-based: one row per (product handle
-- $2, locale $3) with name $4 and description $5 (NULL: keep what the translation had). Runs
-- after the import's products are written, in the same tenant transaction.
insert into app.product_translations as pt (tenant_id, product_id, locale, name, description)
select $1, p.id, u.locale, u.name, u.description
from unnest($2::text[], $3::text[], $4::text[], $5::text[]) as u(handle, locale, name, description)
join app.products p on p.tenant_id = $1 and p.handle = u.handle
on conflict (tenant_id, product_id, locale) do update
set name = coalesce(excluded.name, pt.name),
    description = coalesce(excluded.description, pt.description),
    updated_at = now()
