-- A new promotion of the transaction's brand ($1; RLS checks it).
insert into app.promotions (tenant_id, name, code, kind, percent_bp, amount_minor, buy_quantity, get_quantity,
  target, targets, min_subtotal_minor, starts_at, ends_at, first_order_only, customer_emails,
  usage_limit, usage_limit_per_customer, exclusive, active)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11, $12, $13, $14, $15::text[], $16, $17,
        $18, $19)
returning id, name, code, kind, percent_bp, amount_minor, buy_quantity, get_quantity, target, targets, min_subtotal_minor, starts_at, ends_at, first_order_only, customer_emails, usage_limit, usage_limit_per_customer, exclusive, active, uses_count, created_at, updated_at
