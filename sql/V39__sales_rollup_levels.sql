-- The owner's reports over long ranges from fewer rows (bench/README.md, "Years, weeks and
-- signed pieces"): the sales rollups of V37 gain coarser levels, and customers an index per
-- brand and creation time.
--
-- * app.sales_weekly, app.sales_monthly, app.sales_yearly: app.sales_daily summed per ISO week
--   (week = its Monday, date_trunc('week')), UTC calendar month and year, with the same four
--   slots (order number mod 4), so the payments of one brand still spread over four rows at
--   every level.
-- * app.product_sales_yearly: app.product_sales_daily summed per calendar year (the monthly
--   level exists since V37).
-- * A range of days is read as signed pieces of those levels that add up to it exactly
--   (app.sales_range_pieces, below): with days and months only, a 366-day range read the eleven
--   or so whole months inside it and the days at both ends (about 13 rows per product and brand);
--   with years it can also be read as a year minus what lies outside the range ("2026 up to
--   today" is the 2026 row, since nothing is paid in the future; "from 6 December 2025" is
--   December 2025 minus its first five days): about 2 rows per product and brand. The overview
--   and top products read their ranges so; the weekly time series reads whole weeks from the
--   weekly rows and the days of the partial weeks at both ends from the daily rows.
-- * customers_tenant_created_idx: the overview's new-customer count per brand is one index range
--   of that brand (a year-long range scanned every brand's customers). customers_created_at_idx
--   (V6, created_at first) served the same count across brands and nothing else reads it: it
--   goes.
--
-- Same definition, same writer, same readers as V37's rollups: written by app.sales_rollup_apply
-- from the trigger on app.orders, in the order's transaction; read by the analytics role only
-- (policies/98_rollups.sql); listed in policies/audit.sql.

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

create table app.product_sales_yearly (
  tenant_id      uuid not null references app.tenants (id),
  year           date not null,
  product_id     uuid not null,
  currency       text not null,
  units          bigint not null default 0,
  revenue_minor  bigint not null default 0,
  primary key (tenant_id, year, product_id, currency) include (units, revenue_minor),
  constraint product_sales_yearly_first_day check (year = date_trunc('year', year)::date)
);
comment on table app.product_sales_yearly is
  'Analytics rollup: app.product_sales_daily summed per UTC calendar year (year = 1 January). Maintained by the trigger on app.orders; read by the analytics role only.';

-- V37's function with the coarser levels: the brand's rows first (day, week, month, year), then
-- the products' (day, month, year) in product order, the key order of every writer. Same
-- signature, same checks.
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

-- The backfill, from V37's rows, under locks that keep every payment (whose trigger writes
-- them) out until this migration commits, so none falls between the backfill and the function
-- above.
lock table app.sales_daily, app.product_sales_monthly in share mode;
insert into app.product_sales_yearly (tenant_id, year, product_id, currency, units, revenue_minor)
select tenant_id, date_trunc('year', month)::date, product_id, currency, sum(units), sum(revenue_minor)
from app.product_sales_monthly
group by 1, 2, 3, 4;
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

-- Which pieces of the three levels make up a range [p_from, p_to) of UTC days: rows (level,
-- lo, hi, sign), meaning "add (sign 1) or take away (sign -1) the rows of that level whose key
-- (day; month or year: its first day) is in [lo, hi)". The pieces add up to the range exactly,
-- whatever p_today; p_today only prices them, so that the cheaper of two exact ways is chosen:
-- a row of a day, a month or a year is expected for a product in proportion 1 : 10 : 12 (a
-- product that sells a few times a month), and nothing after p_today is paid yet (rows that
-- cannot exist cost nothing). Within a month: its days, or the month minus the days outside.
-- Within a year: the partial months at both ends and the whole months between, or the year
-- minus what lies outside. tests/api/analytics.rs checks the sums day by day over about 400
-- ranges, each priced with 3 different days as today.
create function app.sales_pieces_in_month(a date, b date, today date, s integer)
  returns table (level text, lo date, hi date, sign integer, cost integer)
  language sql immutable
  set search_path = pg_catalog
as $$
  with m as (
    select date_trunc('month', a)::date as m0,
           (date_trunc('month', a) + interval '1 month')::date as m1
  ), c as (
    select m.m0, m.m1,
           greatest(0, least(b, today + 1) - a) as direct,
           case when m.m0 <= today then 10 else 0 end as month_cost,
           greatest(0, least(a, today + 1) - m.m0) as before_cost,
           greatest(0, least(m.m1, today + 1) - b) as after_cost
    from m
  )
  select 'day', a, b, s, c.direct
  from c
  where a < b and c.direct <= c.month_cost + c.before_cost + c.after_cost
  union all
  select x.level, x.lo, x.hi, x.sign, x.cost
  from c
  cross join lateral (values ('month', c.m0, c.m1, s, c.month_cost),
                             ('day', c.m0, a, -s, c.before_cost),
                             ('day', b, c.m1, -s, c.after_cost)) as x (level, lo, hi, sign, cost)
  where a < b and c.direct > c.month_cost + c.before_cost + c.after_cost and x.lo < x.hi
$$;

create function app.sales_pieces_in_year(a date, b date, today date, s integer)
  returns table (level text, lo date, hi date, sign integer, cost integer)
  language sql immutable
  set search_path = pg_catalog, app
as $$
  with k as (
    -- [ma, mb): the whole months of [a, b); ma > mb when both ends are inside one month.
    select case when a = date_trunc('month', a)::date then a
                else (date_trunc('month', a) + interval '1 month')::date end as ma,
           date_trunc('month', b)::date as mb
  )
  select p.level, p.lo, p.hi, p.sign, p.cost
  from k cross join lateral app.sales_pieces_in_month(a, b, today, s) p
  where a < b and k.ma > k.mb
  union all
  select p.level, p.lo, p.hi, p.sign, p.cost
  from k cross join lateral app.sales_pieces_in_month(a, k.ma, today, s) p
  where a < k.ma and k.ma <= k.mb
  union all
  select 'month', k.ma, k.mb, s,
         10 * (select count(*)::integer
               from generate_series(k.ma::timestamp, k.mb::timestamp - interval '1 month',
                                    interval '1 month') g
               where g::date <= today)
  from k
  where k.ma < k.mb
  union all
  select p.level, p.lo, p.hi, p.sign, p.cost
  from k cross join lateral app.sales_pieces_in_month(k.mb, b, today, s) p
  where k.mb < b and k.ma <= k.mb
$$;

create function app.sales_range_pieces(p_from date, p_to date, p_today date)
  returns table (level text, lo date, hi date, sign integer)
  language plpgsql immutable
  -- At most 4 pieces per year: the planner sizes the top-products aggregation by this (with
  -- the default of 1,000 rows it allocated a hash table per brand that cost more than the work).
  rows 6
  set search_path = pg_catalog, app
as $$
declare
  y0 date := date_trunc('year', p_from)::date;
  y1 date;
  a date;
  b date;
  direct integer;
  complement integer;
begin
  while y0 < p_to loop
    y1 := (y0 + interval '1 year')::date;
    a := greatest(p_from, y0);
    b := least(p_to, y1);
    select coalesce(sum(p.cost), 0) into direct
    from app.sales_pieces_in_year(a, b, p_today, 1) p;
    select case when y0 <= p_today then 12 else 0 end + coalesce(sum(p.cost), 0) into complement
    from (select * from app.sales_pieces_in_year(y0, a, p_today, -1)
          union all
          select * from app.sales_pieces_in_year(b, y1, p_today, -1)) p;
    if direct <= complement then
      return query
        select p.level, p.lo, p.hi, p.sign from app.sales_pieces_in_year(a, b, p_today, 1) p;
    else
      return query
        select 'year'::text, y0, y1, 1
        union all
        select p.level, p.lo, p.hi, p.sign from app.sales_pieces_in_year(y0, a, p_today, -1) p
        union all
        select p.level, p.lo, p.hi, p.sign from app.sales_pieces_in_year(b, y1, p_today, -1) p;
    end if;
    y0 := y1;
  end loop;
end
$$;
