-- Sets the brand's locales ($1, canonical BCP 47 tags) and default ($2, one of them).
insert into app.brand_locales (locales, default_locale) values ($1, $2)
on conflict (tenant_id) do update
set locales = excluded.locales, default_locale = excluded.default_locale, updated_at = now()
