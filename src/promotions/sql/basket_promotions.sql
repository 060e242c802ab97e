-- The promotions a basket may use: the brand's active automatic ones and those whose code
-- (any case) the basket names ($2: lowercased codes). Another brand's codes are invisible.
select id, name, code, kind, percent_bp, amount_minor, buy_quantity, get_quantity, target, targets, min_subtotal_minor, starts_at, ends_at, first_order_only, customer_emails, usage_limit, usage_limit_per_customer, exclusive, active, uses_count, created_at, updated_at
from app.promotions
where tenant_id = $1 and ((code is null and active) or lower(code) = any($2::text[]))
order by created_at, id
