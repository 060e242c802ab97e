-- The brand's promotions, newest first.
select id, name, code, kind, percent_bp, amount_minor, buy_quantity, get_quantity, target, targets, min_subtotal_minor, starts_at, ends_at, first_order_only, customer_emails, usage_limit, usage_limit_per_customer, exclusive, active, uses_count, created_at, updated_at
from app.promotions
where tenant_id = $1
order by created_at desc, id
