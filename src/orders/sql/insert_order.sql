insert into app.orders (number, customer_id, currency, total_minor, units, preferred_zone_id,
                        idempotency_key, request_hash, holds_expire_at, customer_name,
                        customer_phone)
values ($1, $2, $3, $4, $9, $5, $6, $7, now() + make_interval(mins => $8), $10, $11)
returning id, holds_expire_at
