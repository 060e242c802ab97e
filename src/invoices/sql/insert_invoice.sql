-- The order's invoice, pending until the job stores its PDF at $10; $11 is its discount.
insert into app.invoices (tenant_id, number, order_id, issued_at, currency, subtotal_minor,
                          shipping_minor, tax_minor, total_minor, object_key, discount_minor)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
returning id
