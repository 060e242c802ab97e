-- Sets brand $1's locales ($2, canonical BCP 47 tags) and default ($3, one of them).
insert into app.brand_locales (tenant_id, locales, default_locale) values ($1, $2, $3)
on conflict (tenant_id) do update
set locales = excluded.locales, default_locale = excluded.default_locale, updated_at = now()
