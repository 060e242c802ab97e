-- Active variants whose available units (all active zones) are below their reorder threshold.
select v.sku, p.name as product_name, v.reorder_threshold, app.available(v.id) as available
from app.variants v
join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
where v.tenant_id = $1 and v.is_active and p.status <> 'archived' and v.reorder_threshold > 0
  and app.available(v.id) < v.reorder_threshold
order by app.available(v.id) - v.reorder_threshold, v.sku
limit $2
