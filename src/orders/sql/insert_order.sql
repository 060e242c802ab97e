insert into app.orders (number, customer_id, currency, total_minor, units, preferred_zone_id,
                        idempotency_key, request_hash, holds_expire_at, customer_name,
                        customer_phone, subtotal_minor, shipping_minor, tax_minor,
                        prices_include_tax, shipping_address, billing_address,
                        shipping_method_code, shipping_method_name)
values ($1, $2, $3, $4, $9, $5, $6, $7, now() + make_interval(mins => $8), $10, $11,
        $12, $13, $14, $15, $16, $17, $18, $19)
returning id, holds_expire_at
