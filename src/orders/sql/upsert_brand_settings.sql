-- $1 the brand; $7 prices_include_tax (null keeps it); $8 tax_origin_country, set (null
-- included) only when $9.
insert into app.brand_settings as b (tenant_id, hold_minutes, payment_webhook_secret,
                                     max_units_per_sku, max_open_orders_per_customer,
                                     prices_include_tax, tax_origin_country)
values ($1, coalesce($2, 15), $3, coalesce($5, 20), coalesce($6, 3), coalesce($7, false), $8)
on conflict (tenant_id) do update
set hold_minutes = coalesce($2, b.hold_minutes),
    payment_webhook_secret = case when $4 then $3 else b.payment_webhook_secret end,
    max_units_per_sku = coalesce($5, b.max_units_per_sku),
    max_open_orders_per_customer = coalesce($6, b.max_open_orders_per_customer),
    prices_include_tax = coalesce($7, b.prices_include_tax),
    tax_origin_country = case when $9 then $8 else b.tax_origin_country end,
    updated_at = now()
