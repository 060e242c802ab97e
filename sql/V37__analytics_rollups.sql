-- Owner analytics from rollups maintained in the transactions that change the orders, so the
-- overview, the time series and top products read a few rows per brand and day (or month)
-- instead of every paid order and its lines (bench/README.md, "Owner analytics").
--
-- What counts does not change (src/analytics/sql/*.sql before this migration): an order counts
-- while its status is paid, partially_shipped or shipped, on the UTC day of its paid_at, with
-- its total_minor and units (overview, time series) and its lines' quantity x unit price per
-- product (top products). A paid order that is cancelled or wholly refunded leaves the figures
-- of its payment day; a partial refund does not (today's figures do not either; net revenue
-- has its own report). Nothing else moves an order in or out: shipping moves it between
-- counted statuses, and a counted order's lines never change (they are written at checkout,
-- while it waits for payment; the promotions only set their discount, which is not counted).
--
-- * app.sales_daily: per brand, UTC day, currency and slot (the order number modulo 4): paid
--   orders, their total and units. Four slots per brand and day so that the payments of one
--   brand do not all queue on one row (a row is locked from the payment's update to its
--   commit); readers sum the slots.
-- * app.product_sales_daily and app.product_sales_monthly: per brand, UTC day (or month),
--   product and currency: units and revenue of the counted lines. A range reads the whole
--   months it covers from the monthly rows and the days at its ends from the daily ones.
--
-- Who may read and write them: the analytics role reads them (SELECT, policies/98_rollups.sql)
-- and nobody else. They carry no row-level security and the API role holds no privilege on
-- them at all: not even its own brand's figures are readable through it. The trigger on
-- app.orders runs with the rights of the transaction that changes the order (the API role, in
-- the brand's transaction, whose RLS shows it its own lines only), sums that order's lines per
-- product, and hands the figures to app.sales_rollup_apply, a SECURITY DEFINER function owned
-- by the owner role (pinned search_path) that adds them and returns nothing. It refuses to run
-- outside a trigger and for another brand than the transaction's. The API role may execute it:
-- with raw SQL it could add figures to its brand's rollup, which is no more than it can do by
-- writing orders, and it still reads nothing back.

create table app.sales_daily (
  tenant_id      uuid not null references app.tenants (id),
  day            date not null,
  currency       text not null,
  slot           smallint not null,
  orders         bigint not null default 0,
  revenue_minor  bigint not null default 0,
  units          bigint not null default 0,
  -- Covering: the reports read the figures from the index alone (index-only scans).
  primary key (tenant_id, day, currency, slot) include (orders, revenue_minor, units)
);
comment on table app.sales_daily is
  'Analytics rollup: counted (paid, partially_shipped, shipped) orders per brand, UTC payment day, currency and slot (number mod 4). Maintained by the trigger on app.orders; read by the analytics role only.';

create table app.product_sales_daily (
  tenant_id      uuid not null references app.tenants (id),
  day            date not null,
  product_id     uuid not null,
  currency       text not null,
  units          bigint not null default 0,
  revenue_minor  bigint not null default 0,
  primary key (tenant_id, day, product_id, currency) include (units, revenue_minor)
);
comment on table app.product_sales_daily is
  'Analytics rollup: units and revenue (quantity x unit price) of counted orders'' lines per brand, UTC payment day, product and currency. Maintained by the trigger on app.orders; read by the analytics role only.';

create table app.product_sales_monthly (
  tenant_id      uuid not null references app.tenants (id),
  month          date not null,
  product_id     uuid not null,
  currency       text not null,
  units          bigint not null default 0,
  revenue_minor  bigint not null default 0,
  primary key (tenant_id, month, product_id, currency) include (units, revenue_minor)
);
comment on table app.product_sales_monthly is
  'Analytics rollup: app.product_sales_daily summed per UTC calendar month (month = its first day). Maintained by the trigger on app.orders; read by the analytics role only.';

-- Adds (p_sign 1) or takes away (p_sign -1) one order's figures. Rows are written in key order
-- (the brand row, then the products in product order), so two payments never wait for each
-- other in opposite orders. A figure that falls back to zero keeps its row.
create function app.sales_rollup_apply(
  p_tenant uuid, p_number integer, p_currency text, p_paid_at timestamptz,
  p_total bigint, p_units bigint,
  p_products uuid[], p_product_units bigint[], p_product_revenue bigint[], p_sign integer)
  returns void
  language plpgsql
  security definer
  set search_path = pg_catalog, app
as $$
declare
  d constant date := (p_paid_at at time zone 'UTC')::date;
  tenant constant uuid := app.current_tenant();
begin
  if pg_trigger_depth() = 0 then
    raise exception 'app.sales_rollup_apply runs only from the trigger on app.orders'
      using errcode = 'insufficient_privilege';
  end if;
  if tenant is not null and tenant <> p_tenant then
    raise exception 'app.sales_rollup_apply: not the transaction''s brand'
      using errcode = 'insufficient_privilege';
  end if;
  if p_sign not in (1, -1) then
    raise exception 'app.sales_rollup_apply: sign must be 1 or -1';
  end if;

  insert into app.sales_daily as s (tenant_id, day, currency, slot, orders, revenue_minor, units)
  values (p_tenant, d, p_currency, (abs(p_number) % 4)::smallint, p_sign, p_sign * p_total,
          p_sign * p_units)
  on conflict (tenant_id, day, currency, slot) do update
    set orders = s.orders + excluded.orders,
        revenue_minor = s.revenue_minor + excluded.revenue_minor,
        units = s.units + excluded.units;

  insert into app.product_sales_daily as s (tenant_id, day, product_id, currency, units, revenue_minor)
  select p_tenant, d, u.product_id, p_currency, p_sign * u.units, p_sign * u.revenue
  from unnest(p_products, p_product_units, p_product_revenue) as u (product_id, units, revenue)
  order by u.product_id
  on conflict (tenant_id, day, product_id, currency) do update
    set units = s.units + excluded.units,
        revenue_minor = s.revenue_minor + excluded.revenue_minor;

  insert into app.product_sales_monthly as s (tenant_id, month, product_id, currency, units, revenue_minor)
  select p_tenant, date_trunc('month', d)::date, u.product_id, p_currency, p_sign * u.units,
         p_sign * u.revenue
  from unnest(p_products, p_product_units, p_product_revenue) as u (product_id, units, revenue)
  order by u.product_id
  on conflict (tenant_id, month, product_id, currency) do update
    set units = s.units + excluded.units,
        revenue_minor = s.revenue_minor + excluded.revenue_minor;
end
$$;

-- The trigger: fires only when an order enters or leaves the counted statuses, or its payment
-- time moves (the WHEN clause below; a shipment between counted statuses does not fire it).
-- Runs with the caller's rights: the order's lines and their variants' products are read
-- under the caller's row-level security.
create function app.sales_rollup_order_changed() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  counted constant text[] := array['paid', 'partially_shipped', 'shipped'];
  o record;
  sign integer;
  products uuid[];
  product_units bigint[];
  product_revenue bigint[];
begin
  foreach sign in array array[-1, 1] loop
    if sign = -1 then
      o := old;
    else
      o := new;
    end if;
    continue when not (o.status = any (counted) and o.paid_at is not null);
    select coalesce(array_agg(p.product_id order by p.product_id), '{}'),
           coalesce(array_agg(p.units order by p.product_id), '{}'),
           coalesce(array_agg(p.revenue order by p.product_id), '{}')
      into products, product_units, product_revenue
    from (
      select v.product_id, sum(l.quantity)::bigint as units,
             sum(l.quantity::bigint * l.unit_price_minor)::bigint as revenue
      from app.order_lines l
      join app.variants v on v.tenant_id = l.tenant_id and v.id = l.variant_id
      where l.tenant_id = o.tenant_id and l.order_id = o.id
      group by v.product_id
    ) p;
    perform app.sales_rollup_apply(o.tenant_id, o.number, o.currency, o.paid_at, o.total_minor,
                                   o.units::bigint, products, product_units, product_revenue,
                                   sign);
  end loop;
  return null;
end
$$;

-- Created before the backfill: the trigger's lock on app.orders keeps every order update out
-- until this migration commits, so none falls between the backfill and the trigger.
create trigger sales_rollup_order_changed after update of status, paid_at on app.orders
  for each row
  when ((old.status in ('paid', 'partially_shipped', 'shipped') and old.paid_at is not null)
        is distinct from (new.status in ('paid', 'partially_shipped', 'shipped') and new.paid_at is not null)
        or (new.status in ('paid', 'partially_shipped', 'shipped') and old.paid_at is distinct from new.paid_at))
  execute function app.sales_rollup_order_changed();

-- The backfill, from the same definition. The owner is subject to the forced row-level
-- security of the order tables and has no policy of its own, so it lifts FORCE for these
-- statements, in this transaction, and puts it back (as V16, V25 and V32 do).
alter table app.orders no force row level security;
alter table app.order_lines no force row level security;
alter table app.variants no force row level security;

insert into app.sales_daily (tenant_id, day, currency, slot, orders, revenue_minor, units)
select o.tenant_id, (o.paid_at at time zone 'UTC')::date, o.currency, (abs(o.number) % 4)::smallint,
       count(*), sum(o.total_minor), sum(o.units)
from app.orders o
where o.status in ('paid', 'partially_shipped', 'shipped') and o.paid_at is not null
group by 1, 2, 3, 4;

insert into app.product_sales_daily (tenant_id, day, product_id, currency, units, revenue_minor)
select o.tenant_id, (o.paid_at at time zone 'UTC')::date, v.product_id, o.currency,
       sum(l.quantity), sum(l.quantity::bigint * l.unit_price_minor)
from app.orders o
join app.order_lines l on l.tenant_id = o.tenant_id and l.order_id = o.id
join app.variants v on v.tenant_id = l.tenant_id and v.id = l.variant_id
where o.status in ('paid', 'partially_shipped', 'shipped') and o.paid_at is not null
group by 1, 2, 3, 4;

insert into app.product_sales_monthly (tenant_id, month, product_id, currency, units, revenue_minor)
select tenant_id, date_trunc('month', day)::date, product_id, currency, sum(units), sum(revenue_minor)
from app.product_sales_daily
group by 1, 2, 3, 4;

alter table app.orders force row level security;
alter table app.order_lines force row level security;
alter table app.variants force row level security;

-- Inventory health (src/analytics/sql/inventory.sql) without aggregating every SKU's stock on
-- each call. The definition does not change: per brand, SKUs, active SKUs, active SKUs whose
-- available units are below their reorder threshold (low) or at most zero (out of stock), and
-- the units of unexpired active holds; "available" is the storefront's (V11, V32).
--
-- * app.catalog_counts: per brand, SKUs and active SKUs. Written by statement triggers on
--   app.variants (catalog writes and the CSV import; never a checkout), SECURITY DEFINER
--   functions of the owner role that read only the statement's transition tables. Analytics-only
--   like the sales rollups.
-- * app.availability (V32) gains the variant's is_active and reorder_threshold, kept by
--   statement triggers on app.variants, and a generated column, stock_state, from the row
--   alone: 0 fine (or inactive), 1 low, 2 out of stock with a threshold (low as well), 3 out of
--   stock without one. A partial index holds the rows whose state is not 0, so the report
--   counts only the low and out-of-stock SKUs. A reservation that does not change the state
--   changes no indexed column (the update stays HOT, as before); one that does moves one index
--   entry. Every variant now has its row (written with the variant; before, a variant without
--   stock had none), so a SKU that was never stocked counts as out of stock.
-- * The row's state is exact under the same conditions as its on_hand - reserved (V32): every
--   zone open and no active hold of the variant expired. The report restates the variants with
--   an expired active hold from the definition (holds_active_row_idx: the active holds only),
--   and reads the whole definition instead while a zone is closed (src/analytics/repo.rs).

create table app.catalog_counts (
  tenant_id    uuid primary key references app.tenants (id),
  skus         bigint not null default 0,
  active_skus  bigint not null default 0
);
comment on table app.catalog_counts is
  'Analytics rollup: SKUs and active SKUs per brand. Maintained by the triggers on app.variants; read by the analytics role only.';

create function app.catalog_counts_variants_inserted() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, app
as $$
begin
  insert into app.catalog_counts as c (tenant_id, skus, active_skus)
  select n.tenant_id, count(*), count(*) filter (where n.is_active)
  from new_rows n
  group by n.tenant_id
  order by n.tenant_id
  on conflict (tenant_id) do update
    set skus = c.skus + excluded.skus, active_skus = c.active_skus + excluded.active_skus;
  return null;
end
$$;

-- Updates and deletes only adjust an existing row: a brand's deletion removes the counts with
-- the variants, in any order, and must not write them again.
create function app.catalog_counts_variants_changed() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, app
as $$
declare
  d record;
begin
  for d in
    select x.tenant_id, sum(x.skus)::bigint as skus, sum(x.active)::bigint as active
    from (
      select n.tenant_id, 1 as skus, n.is_active::int as active from new_rows n
      union all
      select o.tenant_id, -1, -(o.is_active::int) from old_rows o
    ) x
    group by x.tenant_id
    having sum(x.skus) <> 0 or sum(x.active) <> 0
    order by x.tenant_id
  loop
    update app.catalog_counts c
    set skus = c.skus + d.skus, active_skus = c.active_skus + d.active
    where c.tenant_id = d.tenant_id;
  end loop;
  return null;
end
$$;

-- The deleted rows alone (a DELETE trigger has no new table).
create function app.catalog_counts_variants_deleted() returns trigger
  language plpgsql
  security definer
  set search_path = pg_catalog, app
as $$
declare
  d record;
begin
  for d in
    select o.tenant_id, count(*)::bigint as skus, count(*) filter (where o.is_active)::bigint as active
    from old_rows o
    group by o.tenant_id
    order by o.tenant_id
  loop
    update app.catalog_counts c
    set skus = c.skus - d.skus, active_skus = c.active_skus - d.active
    where c.tenant_id = d.tenant_id;
  end loop;
  return null;
end
$$;

alter table app.availability
  add column is_active boolean not null default false,
  add column reorder_threshold integer not null default 0;

-- A new variant gets its availability row at once (no stock yet: zeros), with its state.
create function app.availability_variants_inserted() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
begin
  insert into app.availability as a (tenant_id, variant_id, is_active, reorder_threshold)
  select n.tenant_id, n.id, n.is_active, n.reorder_threshold
  from new_rows n
  order by n.tenant_id, n.id
  on conflict (tenant_id, variant_id) do update
    set is_active = excluded.is_active, reorder_threshold = excluded.reorder_threshold;
  return null;
end
$$;

-- A variant's is_active or reorder_threshold changed: its row follows. Other variant updates
-- (prices, options) write nothing.
create function app.availability_variants_updated() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  d record;
begin
  for d in
    select n.tenant_id, n.id, n.is_active, n.reorder_threshold
    from new_rows n
    join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
    where (n.is_active, n.reorder_threshold) is distinct from (o.is_active, o.reorder_threshold)
    order by n.tenant_id, n.id
  loop
    update app.availability a
    set is_active = d.is_active, reorder_threshold = d.reorder_threshold
    where a.tenant_id = d.tenant_id and a.variant_id = d.id;
  end loop;
  return null;
end
$$;

create trigger catalog_counts_variants_inserted after insert on app.variants
  referencing new table as new_rows
  for each statement execute function app.catalog_counts_variants_inserted();
create trigger catalog_counts_variants_updated after update on app.variants
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.catalog_counts_variants_changed();
create trigger catalog_counts_variants_deleted after delete on app.variants
  referencing old table as old_rows
  for each statement execute function app.catalog_counts_variants_deleted();
create trigger availability_variants_inserted after insert on app.variants
  referencing new table as new_rows
  for each statement execute function app.availability_variants_inserted();
create trigger availability_variants_updated after update on app.variants
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.availability_variants_updated();

-- The backfill (FORCE lifted as above).
alter table app.variants no force row level security;
alter table app.availability no force row level security;

insert into app.catalog_counts (tenant_id, skus, active_skus)
select tenant_id, count(*), count(*) filter (where is_active)
from app.variants
group by tenant_id;

update app.availability a
set is_active = v.is_active, reorder_threshold = v.reorder_threshold
from app.variants v
where v.tenant_id = a.tenant_id and v.id = a.variant_id;

insert into app.availability (tenant_id, variant_id, is_active, reorder_threshold)
select v.tenant_id, v.id, v.is_active, v.reorder_threshold
from app.variants v
where not exists (select from app.availability a where a.tenant_id = v.tenant_id and a.variant_id = v.id);

alter table app.availability
  add column stock_state smallint generated always as (
    case when not is_active then 0
         when on_hand - reserved <= 0 then case when reorder_threshold > 0 then 2 else 3 end
         when on_hand - reserved < reorder_threshold then 1
         else 0 end) stored;
create index availability_stock_state_idx on app.availability (tenant_id, stock_state)
  where stock_state <> 0;

alter table app.variants force row level security;
alter table app.availability force row level security;
