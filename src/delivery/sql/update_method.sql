-- Changes what is given ($3 name, $4 countries, $5 basis, $6 bands, $8 active; null keeps it);
-- $7 is the free-shipping threshold, set (null included) only when $9.
update app.shipping_methods m
set name = coalesce($3, m.name),
    countries = coalesce($4::text[], m.countries),
    rate_basis = coalesce($5, m.rate_basis),
    bands = coalesce($6::jsonb, m.bands),
    free_over_minor = case when $9 then $7 else m.free_over_minor end,
    active = coalesce($8, m.active),
    updated_at = now()
where m.tenant_id = $1 and m.code = $2
returning id, code, name, countries, rate_basis, bands, free_over_minor, active, created_at, updated_at
