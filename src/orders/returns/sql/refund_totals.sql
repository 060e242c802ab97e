-- What refunds that did not fail already take of the order: their amount and their shipping.
select coalesce(sum(amount_minor), 0)::bigint as amount_minor,
       coalesce(sum(shipping_minor), 0)::bigint as shipping_minor
from app.refunds
where tenant_id = $1 and order_id = $2 and status <> 'failed'
