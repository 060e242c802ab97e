select hold_minutes, payment_webhook_secret, max_units_per_sku, max_open_orders_per_customer,
       prices_include_tax, tax_origin_country
from app.brand_settings
where tenant_id = $1
