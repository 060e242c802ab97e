-- How deep a threshold-algorithm top-5 (Fagin's TA) would read each brand's rollups for the
-- trailing year, against the rows the top-products statement reads today (issue 18, point 9;
-- bench/README.md "Inventory from the partial index alone"). The two positive pieces of a
-- trailing year read in the year's last month: this calendar year's yearly rows and the monthly
-- rows of the month a year ago (the negative day pieces hold no rows in bench/analytics-data.sql).
-- For 8 brands: the depth d at which the 5th best full sum among the products seen in the first
-- d rows of either list (sorted by revenue) reaches the sum of both lists' d-th revenues.
-- psql postgres://brandhouse_analytics@127.0.0.1/brandhouse_bench -f bench/topk-depth.sql
with b as (select id t from app.tenants where slug like 'bench-%' order by slug limit 8),
y as (select s.tenant_id t, s.product_id p, s.revenue_minor r,
             row_number() over (partition by s.tenant_id order by s.revenue_minor desc) d
      from app.product_sales_yearly s join b on b.t = s.tenant_id
      where s.year = date_trunc('year', current_date)::date),
m as (select s.tenant_id t, s.product_id p, s.revenue_minor r,
             row_number() over (partition by s.tenant_id order by s.revenue_minor desc) d
      from app.product_sales_monthly s join b on b.t = s.tenant_id
      where s.month = date_trunc('month', current_date - 365)::date),
prods as (select coalesce(y.t, m.t) t, coalesce(y.p, m.p) p, coalesce(y.r, 0) + coalesce(m.r, 0) r,
                 least(coalesce(y.d, 1e9), coalesce(m.d, 1e9)) first_seen
          from y full join m on y.t = m.t and y.p = m.p),
steps as (
  select b.t, g.d,
         coalesce((select r from y where y.t = b.t and y.d = g.d), 0)
           + coalesce((select r from m where m.t = b.t and m.d = g.d), 0) as threshold,
         (select r from prods where prods.t = b.t and prods.first_seen <= g.d
          order by r desc offset 4 limit 1) as fifth,
         (select count(*) from y where y.t = b.t) + (select count(*) from m where m.t = b.t) as rows_read_today
  from b cross join generate_series(1, 1000) g(d))
select t as brand, min(d) filter (where fifth >= threshold) as ta_depth_per_list,
       max(rows_read_today) as rows_read_today
from steps group by t order by t;
