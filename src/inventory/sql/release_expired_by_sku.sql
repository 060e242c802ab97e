-- release_expired.sql for the variants of the given SKUs, whose stock rows the caller has
-- locked (lock_rows_by_sku.sql, sent just before it).
update app.holds
set status = 'expired', ended_at = now()
where tenant_id = $1 and status = 'active' and expires_at <= now()
  and variant_id in (
    select v.id from app.variants v where v.tenant_id = $1 and v.sku = any($2::text[])
  )
returning id, order_id, variant_id, zone_id, quantity
