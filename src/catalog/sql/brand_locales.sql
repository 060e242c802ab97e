-- The brand's ($1) locales and default (no row: `en` only).
select locales, default_locale from app.brand_locales where tenant_id = $1
