insert into app.brand_settings (hold_minutes, payment_webhook_secret, max_units_per_sku,
                                max_open_orders_per_customer)
values (coalesce($1, 15), $2, coalesce($4, 20), coalesce($5, 3))
on conflict (tenant_id) do update
set hold_minutes = coalesce($1, app.brand_settings.hold_minutes),
    payment_webhook_secret = case when $3 then $2 else app.brand_settings.payment_webhook_secret end,
    max_units_per_sku = coalesce($4, app.brand_settings.max_units_per_sku),
    max_open_orders_per_customer = coalesce($5, app.brand_settings.max_open_orders_per_customer),
    updated_at = now()
