-- Availability rows know their product, so a storefront page reads its variants' figures by
-- product: one index range per product instead of one primary-key lookup per variant.
--
-- A page of 50 products carries about 2,000 variants (Showstopper: 39 each). Reading their
-- app.availability rows one primary-key lookup at a time (V32's app.variant_availability,
-- `variant_id = any (...)`) took 5 of the list statement's 9.7 ms (`EXPLAIN ANALYZE`, about
-- 3 buffers and 2.5 us per variant): the largest single part of the storefront's PostgreSQL time
-- (bench/README.md, "Availability by product").
--
-- * app.availability gains product_id (the variant's product; no writer moves a variant to
--   another product, its SKU carries the product's number) and an index on (tenant_id,
--   product_id). The rows are written with the variant since V37
--   (app.availability_variants_inserted), which now writes the product too, and follow it
--   (app.availability_variants_updated); the stock and hold triggers (V32) always find the
--   row there and update it, so they do not change. The column stays nullable for that reason:
--   their upserts propose rows without it, and PostgreSQL checks NOT NULL on the proposed row
--   before it finds the conflict. tests/api/availability.rs checks every row's product against
--   its variant's.
-- * app.product_availability(products, zone) is the one reader of the rule (V32: the row while
--   no active hold of the variant has expired, the definition otherwise; closed zones
--   subtracted); app.variant_availability(variants, zone) keeps its signature and results and
--   asks it for the variants' products. The rows, the rule and the results do not change.
--
-- No policy changes: the column is the brand's like the rest of the row. The new reader is
-- granted like the old one (policies/40_inventory_orders.sql).

-- The variants' rows are written below under FORCE lifted (as V32 and V37 do); no catalog or
-- stock write may slip between the backfill and the new trigger function.
lock table app.variants, app.availability in share row exclusive mode;

alter table app.availability add column product_id uuid;

comment on column app.availability.product_id is
  'The variant''s product (written with the variant, never changes): a page reads its variants'' rows by product.';

-- A new variant gets its availability row at once, with its product and its state.
create or replace function app.availability_variants_inserted() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
begin
  insert into app.availability as a (tenant_id, variant_id, product_id, is_active, reorder_threshold)
  select n.tenant_id, n.id, n.product_id, n.is_active, n.reorder_threshold
  from new_rows n
  order by n.tenant_id, n.id
  on conflict (tenant_id, variant_id) do update
    set product_id = excluded.product_id, is_active = excluded.is_active,
        reorder_threshold = excluded.reorder_threshold;
  return null;
end
$$;

-- A variant's is_active, reorder_threshold or product changed: its row follows (no writer
-- moves a variant to another product today; the row stays exact if one ever does). Other
-- variant updates (prices, options) write nothing.
create or replace function app.availability_variants_updated() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  d record;
begin
  for d in
    select n.tenant_id, n.id, n.product_id, n.is_active, n.reorder_threshold
    from new_rows n
    join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
    where (n.product_id, n.is_active, n.reorder_threshold)
          is distinct from (o.product_id, o.is_active, o.reorder_threshold)
    order by n.tenant_id, n.id
  loop
    update app.availability a
    set product_id = d.product_id, is_active = d.is_active, reorder_threshold = d.reorder_threshold
    where a.tenant_id = d.tenant_id and a.variant_id = d.id;
  end loop;
  return null;
end
$$;

alter table app.variants no force row level security;
alter table app.availability no force row level security;
update app.availability a
set product_id = v.product_id
from app.variants v
where v.tenant_id = a.tenant_id and v.id = a.variant_id
  and a.product_id is distinct from v.product_id;
alter table app.variants force row level security;
alter table app.availability force row level security;

create index availability_product_idx on app.availability (tenant_id, product_id);

-- The variants of a set of products, over all active zones and, when p_zone is given, in that
-- zone (NULL otherwise): V32's rule, on the rows of those products (one index range each).
-- Variants without a row are absent (none since V37 but a deleted brand's); callers coalesce.
--
-- PL/pgSQL rather than SQL for its plan cache: a SQL function with a pinned search_path is
-- planned again on every call, and planning this query (the view's two branches included) cost
-- more than running it: 2.9 ms a call against 1.2 ms (pgbench, a page's 51 products).
create function app.product_availability(p_products uuid[], p_zone uuid default null)
  returns table (variant_id uuid, all_zones bigint, in_zone bigint)
  language plpgsql stable
  set search_path = pg_catalog, app
as $$
begin
  return query
  with m as materialized (
    select a.tenant_id, a.variant_id, a.on_hand - a.reserved as units,
           (a.hold_expiry is null or a.hold_expiry > now()) as exact
    from app.availability a
    where a.product_id = any (p_products)
  )
  select m.variant_id,
         (m.units - case when exists (select from app.zones z where not z.is_active)
                         then coalesce((select sum(s.on_hand - s.reserved)
                                        from app.stock s
                                        join app.zones z on z.id = s.zone_id
                                        where s.tenant_id = m.tenant_id and s.variant_id = m.variant_id
                                          and not z.is_active), 0)
                         else 0 end)::bigint,
         case when p_zone is null then null
              else coalesce((select (s.on_hand - s.reserved)::bigint
                             from app.stock s
                             join app.zones z on z.id = s.zone_id
                             where s.tenant_id = m.tenant_id and s.variant_id = m.variant_id
                               and s.zone_id = p_zone and z.is_active), 0)::bigint end
  from m
  where m.exact
  union all
  select u.variant_id,
         sum(u.units)::bigint,
         case when p_zone is null then null
              else coalesce(sum(u.units) filter (where u.zone_id = p_zone), 0)::bigint end
  from app.available_units u
  where u.variant_id = any (array(select m.variant_id from m where not m.exact))
  group by u.variant_id;
end
$$;

-- A set of variants (the same results as V32's): the rule above over their products, kept to
-- the variants asked for. One call of the reader per call (a SQL function calling another once
-- is planned once per call, not per row).
create or replace function app.variant_availability(p_variants uuid[], p_zone uuid default null)
  returns table (variant_id uuid, all_zones bigint, in_zone bigint)
  language sql stable
  set search_path = pg_catalog, app
as $$
  select x.variant_id, x.all_zones, x.in_zone
  from app.product_availability(
         array(select distinct v.product_id from app.variants v where v.id = any (p_variants)),
         p_zone) x
  where x.variant_id = any (p_variants)
$$;
