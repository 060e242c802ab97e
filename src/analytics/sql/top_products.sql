-- Each brand's best-selling products by paid revenue in [$1, $2) (UTC midnights), $3 per brand.
-- From the maintained rollups (sql/V37__sales_rollups.sql): the whole calendar months inside
-- the range from app.product_sales_monthly, the days before the first and after the last
-- whole month from app.product_sales_daily; per brand, primary-key ranges only, and the brand's
-- top $3 ranked there (by revenue, then product id). A product counts once it has units sold in
-- the range (a row whose orders were all cancelled since holds zeros).
with bounds as (
  select d0, d1,
         -- [m0, m1): the whole months of [d0, d1); none when m0 >= m1, and then every day of
         -- the range comes from the daily rows.
         case when m0 < m1 then m0 else d1 end as m0,
         case when m0 < m1 then m1 else d1 end as m1
  from (
    select d0, d1,
           (date_trunc('month', (d0 - 1)::timestamp) + interval '1 month')::date as m0,
           date_trunc('month', d1::timestamp)::date as m1
    from (select ($1::timestamptz at time zone 'UTC')::date as d0,
                 ($2::timestamptz at time zone 'UTC')::date as d1) r
  ) m
)
select t.slug, t.currency, s.number, s.name, s.revenue_minor, s.units, s.rank
from app.tenants t
cross join bounds b
cross join lateral (
  -- The brand's top $3, then their names (a primary-key lookup each).
  select p.number, p.name, top.revenue_minor, top.units, top.rank
  from (
    select x.product_id, sum(x.revenue_minor)::bigint as revenue_minor, sum(x.units)::bigint as units,
           row_number() over (order by sum(x.revenue_minor) desc, x.product_id) as rank
    from (
      select product_id, revenue_minor, units from app.product_sales_monthly
      where tenant_id = t.id and month >= b.m0 and month < b.m1
      union all
      select product_id, revenue_minor, units from app.product_sales_daily
      where tenant_id = t.id and day >= b.d0 and day < b.m0
      union all
      select product_id, revenue_minor, units from app.product_sales_daily
      where tenant_id = t.id and day >= b.m1 and day < b.d1
    ) x
    group by x.product_id
    having max(x.units) > 0
    order by sum(x.revenue_minor) desc, x.product_id
    limit $3
  ) top
  join app.products p on p.tenant_id = t.id and p.id = top.product_id
  -- At most $3 rows anyway; the limit keeps this subquery per brand (not flattened into one
  -- join of every brand's products).
  limit $3
) s
order by t.slug, s.rank
