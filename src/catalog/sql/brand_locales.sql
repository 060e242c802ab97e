-- The brand's locales and default (no row: `en` only). Row-level security picks the brand.
select locales, default_locale from app.brand_locales
