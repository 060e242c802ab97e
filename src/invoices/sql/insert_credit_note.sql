-- A confirmed refund's credit note, pending until the job stores its PDF at $12.
insert into app.credit_notes (tenant_id, number, invoice_id, order_id, refund_id, issued_at,
                              currency, subtotal_minor, shipping_minor, tax_minor, total_minor,
                              object_key)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
returning id
