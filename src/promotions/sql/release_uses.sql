-- Releases the order's held uses and gives their count back to the promotions.
with released as (
  update app.promotion_uses
  set status = 'released', updated_at = now()
  where tenant_id = $1 and order_id = $2 and status = 'held'
  returning promotion_id
)
update app.promotions p
set uses_count = p.uses_count - r.n
from (select promotion_id, count(*)::int as n from released group by promotion_id) r
where p.tenant_id = $1 and p.id = r.promotion_id
