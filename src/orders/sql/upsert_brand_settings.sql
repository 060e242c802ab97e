-- $6 prices_include_tax (null keeps it); $7 tax_origin_country, set (null included) only when $8.
insert into app.brand_settings (hold_minutes, payment_webhook_secret, max_units_per_sku,
                                max_open_orders_per_customer, prices_include_tax,
                                tax_origin_country)
values (coalesce($1, 15), $2, coalesce($4, 20), coalesce($5, 3), coalesce($6, false), $7)
on conflict (tenant_id) do update
set hold_minutes = coalesce($1, app.brand_settings.hold_minutes),
    payment_webhook_secret = case when $3 then $2 else app.brand_settings.payment_webhook_secret end,
    max_units_per_sku = coalesce($4, app.brand_settings.max_units_per_sku),
    max_open_orders_per_customer = coalesce($5, app.brand_settings.max_open_orders_per_customer),
    prices_include_tax = coalesce($6, app.brand_settings.prices_include_tax),
    tax_origin_country = case when $8 then $7 else app.brand_settings.tax_origin_country end,
    updated_at = now()
