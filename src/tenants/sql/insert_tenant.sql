insert into app.tenants (slug, name, sku_prefix, currency, theme, features)
values ($1, $2, $3, $4, $5, $6)
returning id, slug, name, sku_prefix, currency, is_active
