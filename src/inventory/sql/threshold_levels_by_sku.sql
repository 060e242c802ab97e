-- threshold_levels.sql for the variants of the given SKUs (read by checkout under its row
-- locks, after the expired holds on them were ended).
select v.id, v.sku, v.reorder_threshold, app.available(v.id) as available
from app.variants v
where v.tenant_id = $1 and v.sku = any($2::text[]) and v.reorder_threshold > 0
  and v.is_active
order by v.id
