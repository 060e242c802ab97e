-- Per brand: SKUs, active SKUs, low-stock and out-of-stock active SKUs, and units reserved by
-- unexpired holds, while every zone is open (src/analytics/repo.rs reads
-- inventory_by_definition.sql otherwise). From the maintained figures (sql/V37__analytics_rollups.sql):
-- the SKU counts from app.catalog_counts; low and out of stock from the state of each variant's
-- app.availability row, counting only the rows whose state is not "fine" from the partial index
-- availability_stock_state_idx alone (an index-only scan: it holds tenant_id and stock_state,
-- which is all the count reads). The variants with an active hold that has expired (not
-- released yet) have a row that is not exact: what their rows counted is taken back (a primary-key
-- lookup each) and they are restated from the storefront's definition (app.available_units, as
-- inventory_by_definition.sql does for every variant).
with stale as materialized (
  select distinct h.tenant_id, h.variant_id
  from app.holds h
  where h.status = 'active' and h.expires_at <= now()
), held as (
  select tenant_id, sum(quantity)::bigint as reserved_units
  from app.holds
  where status = 'active' and expires_at > now()
  group by 1
), maintained as (
  select a.tenant_id,
         count(*) filter (where a.stock_state in (1, 2))::bigint as low_stock_skus,
         count(*) filter (where a.stock_state in (2, 3))::bigint as out_of_stock_skus
  from app.availability a
  where a.stock_state <> 0
  group by 1
), taken_back as (
  select a.tenant_id,
         count(*) filter (where a.stock_state in (1, 2))::bigint as low_stock_skus,
         count(*) filter (where a.stock_state in (2, 3))::bigint as out_of_stock_skus
  from stale s
  join app.availability a on a.tenant_id = s.tenant_id and a.variant_id = s.variant_id
  where a.stock_state <> 0
  group by 1
), restated as (
  select v.tenant_id,
         count(*) filter (where v.is_active and v.reorder_threshold > 0 and u.available < v.reorder_threshold)::bigint as low_stock_skus,
         count(*) filter (where v.is_active and u.available <= 0)::bigint as out_of_stock_skus
  from stale s
  join app.variants v on v.tenant_id = s.tenant_id and v.id = s.variant_id
  cross join lateral (
    select coalesce(sum(au.units), 0) as available
    from app.available_units au
    where au.tenant_id = s.tenant_id and au.variant_id = s.variant_id
  ) u
  group by 1
)
select t.slug, t.name,
       coalesce(c.skus, 0) as sku_count, coalesce(c.active_skus, 0) as active_skus,
       (coalesce(m.low_stock_skus, 0) - coalesce(b.low_stock_skus, 0) + coalesce(r.low_stock_skus, 0))::bigint as low_stock_skus,
       (coalesce(m.out_of_stock_skus, 0) - coalesce(b.out_of_stock_skus, 0) + coalesce(r.out_of_stock_skus, 0))::bigint as out_of_stock_skus,
       coalesce(h.reserved_units, 0) as reserved_units
from app.tenants t
left join app.catalog_counts c on c.tenant_id = t.id
left join maintained m on m.tenant_id = t.id
left join taken_back b on b.tenant_id = t.id
left join restated r on r.tenant_id = t.id
left join held h on h.tenant_id = t.id
order by t.slug
