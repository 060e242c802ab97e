-- Top products by the threshold algorithm (Fagin, Lotem and Naor): measured against the
-- report's statement (src/analytics/sql/top_products.sql) and not kept; bench/README.md "Top
-- products by the threshold algorithm". Created in the bench database only, by
-- bench/top-products-ta.sh, which drops it again (schema bench_ta and the two indexes).
--
-- A product's revenue in a range is the sum of its rollup rows in the range's signed pieces
-- (app.sales_range_pieces), and no row is negative, so the top k can be found from the first
-- rows of each positive month or year key read in revenue order (one list per key and
-- currency): a product among none of the first `depth` rows of any list, and sold on no
-- positive day of the range, holds at most the sum of the lists' depth-th revenues. The
-- products seen get their exact figures (the rows read, a primary-key lookup for the lists
-- they were not seen in, the negative keys, the day pieces read whole); a brand is settled
-- when its k-th best earns strictly more than that bound or every list is read to its end;
-- the others are read twice as deep. It returns the same rows as the report's statement
-- (checked by the script on the data set; while it was a migration candidate it also passed a
-- property test of about 3,800 ranges against a plain sum of the day rows, with traps for
-- ties at the bound and for a bound that leaves out a list).
create schema if not exists bench_ta;

create index if not exists bench_ta_yearly_by_revenue
  on app.product_sales_yearly (tenant_id, year, currency, revenue_minor desc, product_id)
  include (units);
create index if not exists bench_ta_monthly_by_revenue
  on app.product_sales_monthly (tenant_id, month, currency, revenue_minor desc, product_id)
  include (units);

-- The top p_limit products by revenue of each brand in p_tenants, in the UTC days
-- [p_from, p_to), ranked by revenue then product id; a product counts once it has units in the
-- range, as before. p_today prices the pieces only (app.sales_range_pieces). Every step reads
-- all the brands still open at once: the pieces once, each round one statement.
create or replace function bench_ta.top_products_in_range(p_tenants uuid[], p_from date,
                                                     p_to date, p_today date, p_limit integer)
  returns table (tenant_id uuid, product_id uuid, revenue_minor bigint, units bigint, rank bigint)
  language plpgsql stable
  rows 500
  set search_path = pg_catalog, app
  -- Its statements' estimates (a few hundred candidates a brand) would cross jit_above_cost:
  -- compiling them takes longer than running them.
  set jit = off
as $$
#variable_conflict use_column
declare
  piece_levels text[];
  piece_los date[];
  piece_his date[];
  piece_signs integer[];
  levels text[] := '{}';
  los date[] := '{}';
  his date[] := '{}';
  signs integer[] := '{}';
  m0 date;
  m1 date;
  i integer;
  key_levels text[];
  key_days date[];
  key_weights integer[];
  list_tenants uuid[] := '{}';
  list_weights integer[] := '{}';
  list_levels text[] := '{}';
  list_keys date[] := '{}';
  list_currencies text[] := '{}';
  open_tenants uuid[];
  open_levels text[];
  open_keys date[];
  open_currencies text[];
  open_weights integer[];
  pending uuid[];
  depth integer := greatest(p_limit, 1) * 4;
  done_tenants uuid[];
  out_tenants uuid[];
  out_products uuid[];
  out_revenue bigint[];
  out_units bigint[];
  out_ranks bigint[];
begin
  if p_limit is null or p_limit < 1 or coalesce(cardinality(p_tenants), 0) = 0 then
    return;
  end if;

  select coalesce(array_agg(k.level), '{}'), coalesce(array_agg(k.lo), '{}'),
         coalesce(array_agg(k.hi), '{}'), coalesce(array_agg(k.sign), '{}')
    into piece_levels, piece_los, piece_his, piece_signs
  from app.sales_range_pieces(p_from, p_to, p_today) k;

  -- The pieces are priced for reading every row (a month costs about 10 days). Here a month is
  -- read by its first rows, and a positive day piece is read whole (its products become
  -- candidates), so a positive day piece becomes its month minus the month's other days when
  -- fewer days that can hold rows (up to p_today) are taken away than it holds: the current
  -- month so far is its month row. Day pieces lie within one month.
  for i in 1 .. coalesce(array_length(piece_levels, 1), 0) loop
    m0 := date_trunc('month', piece_los[i])::date;
    m1 := (m0 + interval '1 month')::date;
    if piece_levels[i] = 'day' and piece_signs[i] = 1 and piece_his[i] <= m1
       and (piece_los[i] - m0) + greatest(0, least(m1, p_today + 1) - piece_his[i])
           < piece_his[i] - piece_los[i] then
      levels := levels || 'month'::text; los := los || m0; his := his || m1; signs := signs || 1;
      if m0 < piece_los[i] then
        levels := levels || 'day'::text; los := los || m0; his := his || piece_los[i];
        signs := signs || -1;
      end if;
      if piece_his[i] < m1 then
        levels := levels || 'day'::text; los := los || piece_his[i]; his := his || m1;
        signs := signs || -1;
      end if;
    else
      levels := levels || piece_levels[i]; los := los || piece_los[i];
      his := his || piece_his[i]; signs := signs || piece_signs[i];
    end if;
  end loop;

  -- Every month and year key of the pieces, with the number of times it counts: its pieces'
  -- signs added up (pieces start and end on their level's boundaries). Day pieces stay ranges.
  select coalesce(array_agg(x.level), '{}'), coalesce(array_agg(x.key), '{}'),
         coalesce(array_agg(x.weight), '{}')
    into key_levels, key_days, key_weights
  from (
    select k.level, g.key::date as key, sum(k.sign)::integer as weight
    from unnest(levels, los, his, signs) as k (level, lo, hi, sign)
    cross join lateral generate_series(k.lo::timestamp, k.hi::timestamp - interval '1 day',
                                       ('1 ' || k.level)::interval) as g (key)
    where k.level <> 'day'
    group by k.level, g.key::date
    having sum(k.sign) <> 0
  ) x;

  -- The sorted lists: each brand's positive month and year keys, once per currency it holds
  -- there (a product has one row per list). The currencies are found by skipping through the
  -- index, all brands at once: the next currency after the one found, until there is none.
  select coalesce(array_agg(t.id), '{}'), coalesce(array_agg(k.level), '{}'),
         coalesce(array_agg(k.key), '{}'), coalesce(array_agg(''::text), '{}'),
         coalesce(array_agg(k.weight), '{}')
    into open_tenants, open_levels, open_keys, open_currencies, open_weights
  from unnest(p_tenants) as t (id)
  cross join unnest(key_levels, key_days, key_weights) as k (level, key, weight)
  where k.weight > 0;
  while cardinality(open_tenants) > 0 loop
    select coalesce(array_agg(o.tenant_id), '{}'), coalesce(array_agg(o.level), '{}'),
           coalesce(array_agg(o.key), '{}'), coalesce(array_agg(o.currency), '{}'),
           coalesce(array_agg(o.weight), '{}')
      into open_tenants, open_levels, open_keys, open_currencies, open_weights
    from (
      select l.tenant_id, l.level, l.key, l.weight,
             case l.level
               when 'year' then (select min(y.currency) from app.product_sales_yearly y
                                 where y.tenant_id = l.tenant_id and y.year = l.key
                                   and y.currency > l.currency)
               else (select min(m.currency) from app.product_sales_monthly m
                     where m.tenant_id = l.tenant_id and m.month = l.key
                       and m.currency > l.currency)
             end as currency
      from unnest(open_tenants, open_levels, open_keys, open_currencies, open_weights)
             as l (tenant_id, level, key, currency, weight)
    ) o
    where o.currency is not null;
    list_tenants := list_tenants || open_tenants;
    list_levels := list_levels || open_levels;
    list_keys := list_keys || open_keys;
    list_currencies := list_currencies || open_currencies;
    list_weights := list_weights || open_weights;
  end loop;

  pending := p_tenants;
  loop
    -- For the brands still open: the first `depth` rows of each of their lists, and the most a
    -- product among none of them can hold (the sum of each list's depth-th revenue; a list
    -- shorter than that has been read whole and adds nothing; the negative pieces only take
    -- away). The candidates: the products seen, and every product sold on a positive day of
    -- the range. Their exact figures: their rows at every month and year key (primary-key
    -- lookups) and in every day piece (read whole), each with its piece's sign; ranked per
    -- brand. A brand is done when every list has been read to its end, or when its p_limit-th
    -- best earns strictly more than the bound: no product unseen can then enter its top.
    with l as (
      select *
      from unnest(list_tenants, list_levels, list_keys, list_currencies, list_weights)
             with ordinality as l (tenant_id, level, key, currency, weight, id)
      where l.tenant_id = any (pending)
    ), h as materialized (
      select l.id as list_id, l.tenant_id, l.weight, s.product_id, s.revenue_minor, s.units, s.n
      from l
      cross join lateral (
        select s.product_id, s.revenue_minor, s.units,
               row_number() over (order by s.revenue_minor desc, s.product_id) as n
        from (
          (select y.product_id, y.revenue_minor, y.units
           from app.product_sales_yearly y
           where l.level = 'year' and y.tenant_id = l.tenant_id and y.year = l.key
             and y.currency = l.currency
           order by y.revenue_minor desc, y.product_id
           limit depth)
          union all
          (select m.product_id, m.revenue_minor, m.units
           from app.product_sales_monthly m
           where l.level = 'month' and m.tenant_id = l.tenant_id and m.month = l.key
             and m.currency = l.currency
           order by m.revenue_minor desc, m.product_id
           limit depth)
        ) s
      ) s
    ), bounds as (
      select h.tenant_id,
             coalesce(sum(h.weight * h.revenue_minor) filter (where h.n = depth), 0) as bound,
             count(*) filter (where h.n = depth) = 0 as exhausted
      from h
      group by h.tenant_id
    ), days as materialized (
      select t.tenant_id, d.product_id, p.sign, d.revenue_minor, d.units
      from unnest(pending) as t (tenant_id)
      cross join unnest(levels, los, his, signs) as p (level, lo, hi, sign)
      cross join lateral (
        select d.product_id, d.revenue_minor, d.units
        from app.product_sales_daily d
        where d.tenant_id = t.tenant_id and d.day >= p.lo and d.day < p.hi
      ) d
      where p.level = 'day'
    ), candidates as materialized (
      select h.tenant_id, h.product_id from h
      union
      select days.tenant_id, days.product_id from days where days.sign = 1
    ), contributions as (
      -- The rows read with the lists' first rows (every product there is a candidate).
      select h.tenant_id, h.product_id, h.weight * h.revenue_minor as revenue_minor,
             h.weight * h.units as units
      from h
      union all
      -- The candidates' rows in the lists they were not seen in: a primary-key lookup each.
      select c.tenant_id, c.product_id, l.weight * r.revenue_minor, l.weight * r.units
      from candidates c
      join l on l.tenant_id = c.tenant_id
      cross join lateral (
        select y.revenue_minor, y.units
        from app.product_sales_yearly y
        where l.level = 'year' and y.tenant_id = c.tenant_id and y.year = l.key
          and y.product_id = c.product_id and y.currency = l.currency
        union all
        select m.revenue_minor, m.units
        from app.product_sales_monthly m
        where l.level = 'month' and m.tenant_id = c.tenant_id and m.month = l.key
          and m.product_id = c.product_id and m.currency = l.currency
      ) r
      where not exists (select from h where h.list_id = l.id and h.product_id = c.product_id)
      union all
      -- Their rows at the negative month and year keys, every currency.
      select c.tenant_id, c.product_id, k.weight * r.revenue_minor, k.weight * r.units
      from candidates c
      cross join unnest(key_levels, key_days, key_weights) as k (level, key, weight)
      cross join lateral (
        select y.revenue_minor, y.units
        from app.product_sales_yearly y
        where k.level = 'year' and y.tenant_id = c.tenant_id and y.year = k.key
          and y.product_id = c.product_id
        union all
        select m.revenue_minor, m.units
        from app.product_sales_monthly m
        where k.level = 'month' and m.tenant_id = c.tenant_id and m.month = k.key
          and m.product_id = c.product_id
      ) r
      where k.weight < 0
      union all
      -- Their rows in the day pieces.
      select days.tenant_id, days.product_id, days.sign * days.revenue_minor,
             days.sign * days.units
      from days
      where (days.tenant_id, days.product_id) in (select c.tenant_id, c.product_id
                                                  from candidates c)
    ), ranked as (
      select x.tenant_id, x.product_id, sum(x.revenue_minor)::bigint as revenue_minor,
             sum(x.units)::bigint as units,
             row_number() over (partition by x.tenant_id
                                order by sum(x.revenue_minor) desc, x.product_id) as rank
      from contributions x
      group by x.tenant_id, x.product_id
      having sum(x.units) > 0
    ), top as (
      select r.*, count(*) over (partition by r.tenant_id) as found,
             min(r.revenue_minor) over (partition by r.tenant_id) as last
      from ranked r
      where r.rank <= p_limit
    ), done as materialized (
      select t.tenant_id
      from unnest(pending) as t (tenant_id)
      left join bounds b on b.tenant_id = t.tenant_id
      left join (select distinct top.tenant_id, top.found, top.last from top) f
        on f.tenant_id = t.tenant_id
      where b.tenant_id is null or b.exhausted
         or (f.found = p_limit and f.last > b.bound)
    )
    select coalesce((select array_agg(done.tenant_id) from done), '{}'),
           coalesce(array_agg(top.tenant_id), '{}'), coalesce(array_agg(top.product_id), '{}'),
           coalesce(array_agg(top.revenue_minor), '{}'), coalesce(array_agg(top.units), '{}'),
           coalesce(array_agg(top.rank), '{}')
      into done_tenants, out_tenants, out_products, out_revenue, out_units, out_ranks
    from top
    where top.tenant_id in (select done.tenant_id from done);

    return query
      select * from unnest(out_tenants, out_products, out_revenue, out_units, out_ranks);
    pending := array(select p from unnest(pending) p where p <> all (done_tenants));
    exit when cardinality(pending) = 0;
    depth := depth * 2;
  end loop;
end
$$;

grant usage on schema bench_ta to brandhouse_analytics;
grant execute on function bench_ta.top_products_in_range(uuid[], date, date, date, integer)
  to brandhouse_analytics;
