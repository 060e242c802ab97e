-- Generates the analytics benchmark data set in the bench database, as the superuser:
-- 100 brands x 5,000 SKUs (500 products x 10 variants), stock for every SKU, 200,000
-- customers and 1,000,000 orders (about 2,000,000 lines) over the last 365 days.
-- Run by bench/analytics.sh; takes a few minutes.
\set ON_ERROR_STOP on
set client_min_messages = warning;
set synchronous_commit = off;

insert into app.tenants (slug, name, sku_prefix, currency)
select format('bench-%s', lpad(i::text, 3, '0')), format('Bench brand %s', i),
       'B' || chr(65 + (i - 1) / 26) || chr(65 + (i - 1) % 26),
       case when i % 20 = 0 then 'JPY' when i % 7 = 0 then 'USD' else 'EUR' end
from generate_series(1, 100) i
on conflict (slug) do nothing;

create temp table bt as
select row_number() over (order by slug) as ti, id as tenant_id, sku_prefix
from app.tenants where slug like 'bench-%';

insert into app.categories (tenant_id, code, name) select tenant_id, 'GEN', 'General' from bt;

insert into app.products (tenant_id, number, handle, category_id, sku_stem, name, status, base_price_minor)
select bt.tenant_id, n, 'p' || n, c.id, bt.sku_prefix || '-GEN-' || lpad(n::text, 4, '0'),
       format('Product %s of %s', n, bt.ti), 'active', 500 + (n * 37) % 9500
from bt join app.categories c on c.tenant_id = bt.tenant_id and c.code = 'GEN'
cross join generate_series(1, 500) n;

insert into app.product_counters (tenant_id, last_number) select tenant_id, 500 from bt;

insert into app.variants (tenant_id, product_id, sku, option_key, position, reorder_threshold)
select p.tenant_id, p.id, p.sku_stem || '-V' || lpad(k::text, 2, '0'), 'v=' || k, k, 5
from app.products p join bt on bt.tenant_id = p.tenant_id
cross join generate_series(1, 10) k;

insert into app.zones (code, name, priority) values ('ANA1', 'Analytics bench zone', 50)
on conflict (code) do nothing;

-- Stock: 0 to 40 units per SKU, so some SKUs are low or out of stock.
insert into app.stock (tenant_id, variant_id, zone_id, on_hand)
select v.tenant_id, v.id, z.id, (abs(hashtext(v.sku)) % 41)
from app.variants v join bt on bt.tenant_id = v.tenant_id, app.zones z where z.code = 'ANA1';

create temp table bv as
select bt.ti, row_number() over (partition by v.tenant_id order by v.sku) as j, v.tenant_id, v.id, v.sku
from app.variants v join bt on bt.tenant_id = v.tenant_id;
create index on bv (ti, j);

insert into app.customers (tenant_id, name, email, created_at)
select bt.tenant_id, 'Customer ' || k, format('c%s-%s@bench.test', bt.ti, k), now() - random() * interval '400 days'
from bt cross join generate_series(1, 2000) k;

create temp table bc as
select bt.ti, row_number() over (partition by c.tenant_id order by c.email) as k, c.id
from app.customers c join bt on bt.tenant_id = c.tenant_id;
create index on bc (ti, k);

create temp table og as
select g as n, 1 + (abs(hashtext('t' || g)) % 100) as ti, gen_random_uuid() as id,
       now() - random() * interval '365 days' as created_at, random() as r,
       1 + (abs(hashtext('l' || g)) % 3) as nlines
from generate_series(1, 1000000) g;

create temp table lg as
select o.n, o.ti, k, 1 + (abs(hashtext(o.n || ':' || k)) % 5000) as j,
       1 + (abs(hashtext('q' || o.n || ':' || k)) % 4) as qty,
       100 + (abs(hashtext('p' || o.n || ':' || k)) % 9900) as price
from og o cross join lateral generate_series(1, o.nlines) k;

insert into app.orders (tenant_id, id, number, customer_id, status, currency, total_minor, units,
                        idempotency_key, request_hash, holds_expire_at, created_at, paid_at,
                        customer_name)
select bt.tenant_id, og.id, row_number() over (partition by og.ti order by og.n), bc.id,
       case when og.r < 0.70 then 'paid' when og.r < 0.80 then 'shipped' when og.r < 0.90 then 'expired'
            when og.r < 0.95 then 'cancelled' else 'pending_payment' end,
       t.currency, a.total, a.units, 'g' || og.n, '\x00', og.created_at + interval '15 minutes', og.created_at,
       case when og.r < 0.80 then og.created_at + interval '5 minutes' end,
       'Customer ' || bc.k
from og
join bt on bt.ti = og.ti
join app.tenants t on t.id = bt.tenant_id
join bc on bc.ti = og.ti and bc.k = 1 + og.n % 2000
join (select n, sum(qty * price)::bigint as total, sum(qty)::int as units from lg group by n) a on a.n = og.n;

insert into app.order_lines (tenant_id, order_id, position, variant_id, sku, quantity, unit_price_minor)
select bv.tenant_id, og.id, lg.k, bv.id, bv.sku, lg.qty, lg.price
from lg join og on og.n = lg.n join bv on bv.ti = lg.ti and bv.j = lg.j;

-- The analytics rollups (sql/V37__analytics_rollups.sql, V39), filled as the migrations'
-- backfills do: the orders above were inserted already paid, which the trigger (on updates of
-- the status) does not see.
insert into app.sales_daily (tenant_id, day, currency, slot, orders, revenue_minor, units)
select o.tenant_id, (o.paid_at at time zone 'UTC')::date, o.currency, (abs(o.number) % 4)::smallint,
       count(*), sum(o.total_minor), sum(o.units)
from app.orders o join bt on bt.tenant_id = o.tenant_id
where o.status in ('paid', 'partially_shipped', 'shipped') and o.paid_at is not null
group by 1, 2, 3, 4;

insert into app.product_sales_daily (tenant_id, day, product_id, currency, units, revenue_minor)
select o.tenant_id, (o.paid_at at time zone 'UTC')::date, v.product_id, o.currency,
       sum(l.quantity), sum(l.quantity::bigint * l.unit_price_minor)
from app.orders o
join bt on bt.tenant_id = o.tenant_id
join app.order_lines l on l.tenant_id = o.tenant_id and l.order_id = o.id
join app.variants v on v.tenant_id = l.tenant_id and v.id = l.variant_id
where o.status in ('paid', 'partially_shipped', 'shipped') and o.paid_at is not null
group by 1, 2, 3, 4;

insert into app.product_sales_monthly (tenant_id, month, product_id, currency, units, revenue_minor)
select s.tenant_id, date_trunc('month', s.day)::date, s.product_id, s.currency, sum(s.units),
       sum(s.revenue_minor)
from app.product_sales_daily s join bt on bt.tenant_id = s.tenant_id
group by 1, 2, 3, 4;

-- The yearly product rows and the brand's weekly, monthly and yearly rows (V39), as its
-- backfill does.
insert into app.product_sales_yearly (tenant_id, year, product_id, currency, units, revenue_minor)
select s.tenant_id, date_trunc('year', s.month)::date, s.product_id, s.currency, sum(s.units),
       sum(s.revenue_minor)
from app.product_sales_monthly s join bt on bt.tenant_id = s.tenant_id
group by 1, 2, 3, 4;

insert into app.sales_weekly (tenant_id, week, currency, slot, orders, revenue_minor, units)
select s.tenant_id, date_trunc('week', s.day)::date, s.currency, s.slot, sum(s.orders),
       sum(s.revenue_minor), sum(s.units)
from app.sales_daily s join bt on bt.tenant_id = s.tenant_id
group by 1, 2, 3, 4;

insert into app.sales_monthly (tenant_id, month, currency, slot, orders, revenue_minor, units)
select s.tenant_id, date_trunc('month', s.day)::date, s.currency, s.slot, sum(s.orders),
       sum(s.revenue_minor), sum(s.units)
from app.sales_daily s join bt on bt.tenant_id = s.tenant_id
group by 1, 2, 3, 4;

insert into app.sales_yearly (tenant_id, year, currency, slot, orders, revenue_minor, units)
select s.tenant_id, date_trunc('year', s.day)::date, s.currency, s.slot, sum(s.orders),
       sum(s.revenue_minor), sum(s.units)
from app.sales_daily s join bt on bt.tenant_id = s.tenant_id
group by 1, 2, 3, 4;

vacuum analyze app.sales_daily;
vacuum analyze app.sales_weekly;
vacuum analyze app.sales_monthly;
vacuum analyze app.sales_yearly;
vacuum analyze app.product_sales_daily;
vacuum analyze app.product_sales_monthly;
vacuum analyze app.product_sales_yearly;
vacuum analyze app.orders;
vacuum analyze app.order_lines;
vacuum analyze app.customers;
vacuum analyze app.variants;
vacuum analyze app.stock;
vacuum analyze app.products;
