-- Available units of the given variants that have a reorder threshold (read before and after a
-- stock change, under the caller's row locks, to find the ones that fell below it).
select v.id, v.sku, v.reorder_threshold, app.available(v.id) as available
from app.variants v
where v.tenant_id = $1 and v.id = any($2) and v.reorder_threshold > 0
  and v.is_active
order by v.id
