-- Stock for the checkout benchmarks (bench/reservations.sh, bench/soak.sh): zone BENCH with
-- 1,000,000 units of every active Fiber X SKU, and public.bench_skus listing those SKUs.
insert into app.zones (code, name, priority) values ('BENCH', 'Bench zone', 1) on conflict (code) do nothing;
-- Stock and its ledger rows, as a receive would write them (as the superuser, for speed).
with z as (select id from app.zones where code = 'BENCH'),
     v as (select v.tenant_id, v.id from app.variants v join app.tenants t on t.id = v.tenant_id
           join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
           where t.slug = 'fiber-x' and v.is_active and p.status = 'active'),
     s as (insert into app.stock (tenant_id, variant_id, zone_id, on_hand)
           select v.tenant_id, v.id, z.id, 1000000 from v, z
           on conflict (tenant_id, variant_id, zone_id) do update set on_hand = app.stock.on_hand + 1000000
           returning tenant_id, variant_id, zone_id)
insert into app.stock_movements (tenant_id, variant_id, zone_id, kind, on_hand_delta, reason)
select tenant_id, variant_id, zone_id, 'receive', 1000000, 'bench' from s;
drop table if exists public.bench_skus;
create table public.bench_skus as
  select row_number() over (order by v.sku) as i, v.id as variant_id, v.sku
  from app.variants v join app.tenants t on t.id = v.tenant_id
  join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
  where t.slug = 'fiber-x' and v.is_active and p.status = 'active';
grant select on public.bench_skus to brandhouse_api;
