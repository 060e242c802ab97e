-- Replaces a promotion's fields (the service merged the change into the stored promotion and
-- checked the whole); uses_count is never written here.
update app.promotions
set name = $3, code = $4, kind = $5, percent_bp = $6, amount_minor = $7, buy_quantity = $8,
    get_quantity = $9, target = $10, targets = $11::text[], min_subtotal_minor = $12,
    starts_at = $13, ends_at = $14, first_order_only = $15, customer_emails = $16::text[],
    usage_limit = $17, usage_limit_per_customer = $18, exclusive = $19, active = $20,
    updated_at = now()
where tenant_id = $1 and id = $2
returning id, name, code, kind, percent_bp, amount_minor, buy_quantity, get_quantity, target, targets, min_subtotal_minor, starts_at, ends_at, first_order_only, customer_emails, usage_limit, usage_limit_per_customer, exclusive, active, uses_count, created_at, updated_at
