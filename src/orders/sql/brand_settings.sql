select hold_minutes, payment_webhook_secret from app.brand_settings
