-- Each brand's best-selling products by paid revenue in [$1, $2) (UTC midnights), $3 per brand.
-- From the maintained rollups of product sales per day, month and calendar year
-- (sql/V37__analytics_rollups.sql, sql/V39__sales_rollup_levels.sql): the range is read as
-- signed pieces of those levels that add up to it exactly (app.sales_range_pieces: e.g. on
-- 6 December 2026 the last 366 days are December 2025 minus its first five days, plus 2026
-- minus what comes after today), priced so the fewest rows are read; per brand, primary-key
-- ranges only, and the brand's top $3 ranked there (by revenue, then product id). A product
-- counts once it has units sold in the range (a row whose orders were all cancelled since holds
-- zeros).
with pieces as materialized (
  select k.level, k.lo, k.hi, k.sign
  from app.sales_range_pieces(($1::timestamptz at time zone 'UTC')::date,
                              ($2::timestamptz at time zone 'UTC')::date,
                              (now() at time zone 'UTC')::date) k
)
select t.slug, t.currency, s.number, s.name, s.revenue_minor, s.units, s.rank
from app.tenants t
cross join lateral (
  -- The brand's top $3, then their names (a primary-key lookup each).
  select p.number, p.name, top.revenue_minor, top.units, top.rank
  from (
    select x.product_id, sum(x.revenue_minor)::bigint as revenue_minor, sum(x.units)::bigint as units,
           row_number() over (order by sum(x.revenue_minor) desc, x.product_id) as rank
    from pieces k
    cross join lateral (
      select y.product_id, k.sign * y.revenue_minor as revenue_minor, k.sign * y.units as units
      from app.product_sales_yearly y
      where k.level = 'year' and y.tenant_id = t.id and y.year >= k.lo and y.year < k.hi
      union all
      select m.product_id, k.sign * m.revenue_minor, k.sign * m.units
      from app.product_sales_monthly m
      where k.level = 'month' and m.tenant_id = t.id and m.month >= k.lo and m.month < k.hi
      union all
      select d.product_id, k.sign * d.revenue_minor, k.sign * d.units
      from app.product_sales_daily d
      where k.level = 'day' and d.tenant_id = t.id and d.day >= k.lo and d.day < k.hi
    ) x
    group by x.product_id
    having sum(x.units) > 0
    order by sum(x.revenue_minor) desc, x.product_id
    limit $3
  ) top
  join app.products p on p.tenant_id = t.id and p.id = top.product_id
  -- At most $3 rows anyway; the limit keeps this subquery per brand (not flattened into one
  -- join of every brand's products).
  limit $3
) s
order by t.slug, s.rank
