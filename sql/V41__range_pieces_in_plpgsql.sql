-- The pieces of a report's range (V39) computed without planning a query on every call.
--
-- app.sales_range_pieces is PL/pgSQL, but it asked two SQL functions for the pieces of each
-- year and month, and a SQL function with a pinned search_path (a SET clause) is neither inlined
-- nor plan-cached: PostgreSQL planned their bodies on every call, about a dozen plans per
-- report, 4 ms of the top-products report's 62 ms and of the overview's 11 ms. The two
-- functions below give the same rows (level, lo, hi, sign, cost), in the same order, from the same
-- rule (V39's comment above app.sales_pieces_in_month), as PL/pgSQL arithmetic: no statement to
-- plan inside the month pieces, and cached plans for the two calls the year pieces make.
-- tests/api/analytics.rs checks the sums day by day over about 400 ranges, each priced with 3
-- different days as today.

create or replace function app.sales_pieces_in_month(a date, b date, today date, s integer)
  returns table (level text, lo date, hi date, sign integer, cost integer)
  language plpgsql immutable
  set search_path = pg_catalog
as $$
declare
  m0 date;
  m1 date;
  direct integer;
  month_cost integer;
  before_cost integer;
  after_cost integer;
begin
  if a >= b then
    return;
  end if;
  m0 := date_trunc('month', a)::date;
  m1 := (m0 + interval '1 month')::date;
  direct := greatest(0, least(b, today + 1) - a);
  month_cost := case when m0 <= today then 10 else 0 end;
  before_cost := greatest(0, least(a, today + 1) - m0);
  after_cost := greatest(0, least(m1, today + 1) - b);
  if direct <= month_cost + before_cost + after_cost then
    -- The days themselves.
    level := 'day'; lo := a; hi := b; sign := s; cost := direct;
    return next;
    return;
  end if;
  -- The month minus the days outside [a, b).
  level := 'month'; lo := m0; hi := m1; sign := s; cost := month_cost;
  return next;
  if m0 < a then
    level := 'day'; lo := m0; hi := a; sign := -s; cost := before_cost;
    return next;
  end if;
  if b < m1 then
    level := 'day'; lo := b; hi := m1; sign := -s; cost := after_cost;
    return next;
  end if;
end
$$;

create or replace function app.sales_pieces_in_year(a date, b date, today date, s integer)
  returns table (level text, lo date, hi date, sign integer, cost integer)
  language plpgsql immutable
  set search_path = pg_catalog, app
as $$
declare
  -- [ma, mb): the whole months of [a, b); ma > mb when both ends are inside one month.
  ma date := case when a = date_trunc('month', a)::date then a
                  else (date_trunc('month', a) + interval '1 month')::date end;
  mb date := date_trunc('month', b)::date;
  -- The first month that has not begun by today (months from it on hold no rows yet).
  future date := (date_trunc('month', today) + interval '1 month')::date;
  counted date;
begin
  if a >= b then
    return;
  end if;
  if ma > mb then
    return query select * from app.sales_pieces_in_month(a, b, today, s);
    return;
  end if;
  if a < ma then
    return query select * from app.sales_pieces_in_month(a, ma, today, s);
  end if;
  if ma < mb then
    -- 10 for each whole month that has begun by today.
    counted := least(mb, greatest(ma, future));
    level := 'month'; lo := ma; hi := mb; sign := s;
    cost := 10 * ((extract(year from counted)::integer - extract(year from ma)::integer) * 12
                  + extract(month from counted)::integer - extract(month from ma)::integer);
    return next;
  end if;
  if mb < b then
    return query select * from app.sales_pieces_in_month(mb, b, today, s);
  end if;
end
$$;
