-- The overview and the weekly time series over long ranges from fewer rows (bench/README.md,
-- "Owner analytics"): the brand-level sales rollup gains weeks, months and calendar years (the
-- product level gained years in V39), and customers get an index per brand and creation time.
--
-- * app.sales_monthly, app.sales_yearly: app.sales_daily (V37) summed per UTC calendar month and
--   year, with the same four slots (order number mod 4), so payments of one brand still spread
--   over four rows at every level. The overview reads a range as the signed pieces of
--   app.sales_range_pieces (V39): the last 366 days are about 4 rows per brand and slot instead
--   of 366.
-- * app.sales_weekly: the same per ISO week (week = its Monday, date_trunc('week')). The weekly
--   time series reads the whole weeks of its range from it and the days at both ends from
--   app.sales_daily: 52 rows per brand and slot for a year instead of 366.
--   All three are written by app.sales_rollup_apply from the trigger on app.orders, in the
--   order's transaction, and read by the analytics role only (policies/98_rollups.sql,
--   policies/audit.sql).
-- * customers_tenant_created_idx: the overview's new-customer count per brand is then one index
--   range of that brand (it was a scan of every brand's customers for a year-long range).
--   customers_created_at_idx (V6, created_at first) served the same count across brands and
--   nothing else reads it: it goes.

create table app.sales_monthly (
  tenant_id      uuid not null references app.tenants (id),
  month          date not null,
  currency       text not null,
  slot           smallint not null,
  orders         bigint not null default 0,
  revenue_minor  bigint not null default 0,
  units          bigint not null default 0,
  primary key (tenant_id, month, currency, slot) include (orders, revenue_minor, units),
  constraint sales_monthly_first_day check (month = date_trunc('month', month)::date)
);
comment on table app.sales_monthly is
  'Analytics rollup: app.sales_daily summed per UTC calendar month (month = its first day), per slot. Maintained by the trigger on app.orders; read by the analytics role only.';

create table app.sales_yearly (
  tenant_id      uuid not null references app.tenants (id),
  year           date not null,
  currency       text not null,
  slot           smallint not null,
  orders         bigint not null default 0,
  revenue_minor  bigint not null default 0,
  units          bigint not null default 0,
  primary key (tenant_id, year, currency, slot) include (orders, revenue_minor, units),
  constraint sales_yearly_first_day check (year = date_trunc('year', year)::date)
);
comment on table app.sales_yearly is
  'Analytics rollup: app.sales_daily summed per UTC calendar year (year = 1 January), per slot. Maintained by the trigger on app.orders; read by the analytics role only.';

create table app.sales_weekly (
  tenant_id      uuid not null references app.tenants (id),
  week           date not null,
  currency       text not null,
  slot           smallint not null,
  orders         bigint not null default 0,
  revenue_minor  bigint not null default 0,
  units          bigint not null default 0,
  primary key (tenant_id, week, currency, slot) include (orders, revenue_minor, units),
  constraint sales_weekly_monday check (week = date_trunc('week', week)::date)
);
comment on table app.sales_weekly is
  'Analytics rollup: app.sales_daily summed per ISO week (week = its Monday), per slot. Maintained by the trigger on app.orders; read by the analytics role only.';

-- V39's function with the three brand-level rows more, written right after the daily one (the
-- brand's rows first, then the products' in product order: every writer's key order).
create or replace function app.sales_rollup_apply(
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
  order_slot constant smallint := (abs(p_number) % 4)::smallint;
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
  values (p_tenant, d, p_currency, order_slot, p_sign, p_sign * p_total, p_sign * p_units)
  on conflict (tenant_id, day, currency, slot) do update
    set orders = s.orders + excluded.orders,
        revenue_minor = s.revenue_minor + excluded.revenue_minor,
        units = s.units + excluded.units;

  insert into app.sales_weekly as s (tenant_id, week, currency, slot, orders, revenue_minor, units)
  values (p_tenant, date_trunc('week', d)::date, p_currency, order_slot, p_sign, p_sign * p_total,
          p_sign * p_units)
  on conflict (tenant_id, week, currency, slot) do update
    set orders = s.orders + excluded.orders,
        revenue_minor = s.revenue_minor + excluded.revenue_minor,
        units = s.units + excluded.units;

  insert into app.sales_monthly as s (tenant_id, month, currency, slot, orders, revenue_minor, units)
  values (p_tenant, date_trunc('month', d)::date, p_currency, order_slot, p_sign, p_sign * p_total,
          p_sign * p_units)
  on conflict (tenant_id, month, currency, slot) do update
    set orders = s.orders + excluded.orders,
        revenue_minor = s.revenue_minor + excluded.revenue_minor,
        units = s.units + excluded.units;

  insert into app.sales_yearly as s (tenant_id, year, currency, slot, orders, revenue_minor, units)
  values (p_tenant, date_trunc('year', d)::date, p_currency, order_slot, p_sign, p_sign * p_total,
          p_sign * p_units)
  on conflict (tenant_id, year, currency, slot) do update
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

  insert into app.product_sales_yearly as s (tenant_id, year, product_id, currency, units, revenue_minor)
  select p_tenant, date_trunc('year', d)::date, u.product_id, p_currency, p_sign * u.units,
         p_sign * u.revenue
  from unnest(p_products, p_product_units, p_product_revenue) as u (product_id, units, revenue)
  order by u.product_id
  on conflict (tenant_id, year, product_id, currency) do update
    set units = s.units + excluded.units,
        revenue_minor = s.revenue_minor + excluded.revenue_minor;
end
$$;

-- The backfill, from the daily rows, under a lock that keeps every payment out until this
-- migration commits (as V39).
lock table app.sales_daily in share mode;
insert into app.sales_weekly (tenant_id, week, currency, slot, orders, revenue_minor, units)
select tenant_id, date_trunc('week', day)::date, currency, slot, sum(orders), sum(revenue_minor),
       sum(units)
from app.sales_daily
group by 1, 2, 3, 4;
insert into app.sales_monthly (tenant_id, month, currency, slot, orders, revenue_minor, units)
select tenant_id, date_trunc('month', day)::date, currency, slot, sum(orders), sum(revenue_minor),
       sum(units)
from app.sales_daily
group by 1, 2, 3, 4;
insert into app.sales_yearly (tenant_id, year, currency, slot, orders, revenue_minor, units)
select tenant_id, date_trunc('year', day)::date, currency, slot, sum(orders), sum(revenue_minor),
       sum(units)
from app.sales_daily
group by 1, 2, 3, 4;

create index customers_tenant_created_idx on app.customers (tenant_id, created_at);
drop index app.customers_created_at_idx;
