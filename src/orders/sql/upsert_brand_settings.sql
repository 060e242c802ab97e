insert into app.brand_settings (hold_minutes, payment_webhook_secret) values (coalesce($1, 15), $2)
on conflict (tenant_id) do update
set hold_minutes = coalesce($1, app.brand_settings.hold_minutes),
    payment_webhook_secret = case when $3 then $2 else app.brand_settings.payment_webhook_secret end,
    updated_at = now()
