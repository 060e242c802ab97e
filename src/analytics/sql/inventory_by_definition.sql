-- Per brand: SKUs, active SKUs, low-stock and out-of-stock active SKUs, and units reserved by
-- unexpired holds, aggregated from every SKU's stock rows: what inventory.sql reads while some
-- zone is closed (the maintained rows sum every zone). Available is the storefront's definition (app.available_units: on hand
-- minus held in active zones, expired holds free), for every brand at once (the analytics
-- role reads across brands). Joined first and grouped by the variant's key: at 100 brands x
-- 5,000 SKUs that ran 1.4 s, against 1.8 s for summing the units per variant before joining.
with held as (
  select tenant_id, sum(quantity)::bigint as reserved_units
  from app.holds
  where status = 'active' and expires_at > now()
  group by 1
), per_variant as (
  select v.tenant_id, v.is_active, v.reorder_threshold, coalesce(sum(u.units), 0) as available
  from app.variants v
  left join app.available_units u on u.tenant_id = v.tenant_id and u.variant_id = v.id
  group by v.tenant_id, v.id
), per_brand as (
  select tenant_id,
         count(*)::bigint as sku_count,
         count(*) filter (where is_active)::bigint as active_skus,
         count(*) filter (where is_active and reorder_threshold > 0 and available < reorder_threshold)::bigint as low_stock_skus,
         count(*) filter (where is_active and available <= 0)::bigint as out_of_stock_skus
  from per_variant
  group by tenant_id
)
select t.slug, t.name,
       coalesce(b.sku_count, 0) as sku_count, coalesce(b.active_skus, 0) as active_skus,
       coalesce(b.low_stock_skus, 0) as low_stock_skus, coalesce(b.out_of_stock_skus, 0) as out_of_stock_skus,
       coalesce(h.reserved_units, 0) as reserved_units
from app.tenants t
left join per_brand b on b.tenant_id = t.id
left join held h on h.tenant_id = t.id
order by t.slug
