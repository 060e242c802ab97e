-- Availability per variant as a maintained number, so the storefront (list, search, detail),
-- the assistant's facts and app.available() read one row per variant instead of summing its
-- stock rows and its expired holds on every request.
--
-- The definition does not change (sql/V11__availability.sql): a customer can still order, per
-- variant, on hand minus reserved over the stock rows of active zones, plus the units of active
-- holds that have expired but were not released yet (an expired hold never blocks anyone,
-- sweeper or no sweeper). What changes is where the sum comes from:
--
-- * app.availability keeps per variant the sums over ALL its stock rows (every zone) of on_hand
--   and reserved, and the earliest expiry of its active holds (any zone). Triggers on app.stock
--   and app.holds keep it, in the statement (and so the transaction) that changes stock or
--   holds: every writer is covered, the checkout, payment, cancel, expiry, shipments, returns,
--   refunds, the warehouse's receive/adjust/transfer and the CSV import alike.
-- * A reader uses the row while the variant's earliest active hold expiry is in the future (or
--   there is none): then no active hold of the variant has expired, the expired-holds term of
--   the definition is zero, and on_hand - reserved is exact. When that expiry has passed (an
--   expired hold waits for its release, usually a few seconds until the sweeper or the next
--   checkout of the variant ends it), the reader aggregates that variant's stock rows and holds
--   as before (app.available_units), for that variant only. Releasing the hold moves the
--   earliest expiry on and the variant is back on its row.
-- * Zones are global and the owner closes them for every brand at once, so the row sums every
--   zone and a reader subtracts the stock rows in closed zones. That subquery runs only while
--   some zone is closed (a one-row check on app.zones, once per statement); a brand's figures
--   never have to be rewritten when a zone closes or opens.
-- * In one zone (?zone=), the stock row of that zone is the maintained figure (it is on_hand and
--   reserved of that row); the same expiry rule applies.
--
-- "now()" is the transaction's start, as in the view: a statement sees one instant.
--
-- Lock order (V4: order rows, stock rows by (variant, zone), hold rows): every transaction that
-- changes a variant's stock rows or holds has first locked all of that variant's stock rows
-- (inventory::engine::lock_rows), so the variant's availability row, written after them by the
-- triggers, is never waited for by a transaction that holds something this one needs. Writes of
-- several rows in one statement take them in (tenant, variant) order all the same. A stock
-- statement that changes no sum (a new empty stock row, a transfer between zones of one
-- variant) does not touch the row at all.

create table app.availability (
  tenant_id    uuid not null default app.current_tenant(),
  variant_id   uuid not null,
  -- Sums over every stock row of the variant, whatever its zone.
  on_hand      bigint not null default 0,
  reserved     bigint not null default 0,
  -- The earliest expires_at of the variant's active holds (any zone); null when there is none.
  hold_expiry  timestamptz,
  primary key (tenant_id, variant_id)
);
-- No foreign keys: the rows are derived from stock rows, which reference their variant (and so
-- the brand), and are written by the triggers below only. A key check per row would cost the
-- CSV import one lookup per variant (bench/README.md, CSV import).
alter table app.availability enable row level security;
alter table app.availability force row level security;

comment on table app.availability is
  'Per variant: on_hand and reserved summed over all its stock rows, and the earliest expiry of its active holds. Maintained by triggers on app.stock and app.holds; read through app.variant_availability() and app.available().';

-- Stock rows inserted (a first receipt in a zone, the CSV import's opening stock): their units
-- are added. Inserted empty rows change nothing and write nothing.
create function app.availability_stock_inserted() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
begin
  insert into app.availability as a (tenant_id, variant_id, on_hand, reserved)
  select n.tenant_id, n.variant_id, sum(n.on_hand), sum(n.reserved)
  from new_rows n
  group by n.tenant_id, n.variant_id
  having sum(n.on_hand) <> 0 or sum(n.reserved) <> 0
  order by n.tenant_id, n.variant_id
  on conflict (tenant_id, variant_id) do update
    set on_hand = a.on_hand + excluded.on_hand,
        reserved = a.reserved + excluded.reserved;
  return null;
end
$$;

-- Stock rows updated (every reservation, release, confirmation, receipt, adjustment, transfer,
-- restock): the difference of the new and the old figures is added, per variant.
create function app.availability_stock_updated() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
begin
  insert into app.availability as a (tenant_id, variant_id, on_hand, reserved)
  select d.tenant_id, d.variant_id, sum(d.on_hand), sum(d.reserved)
  from (
    select n.tenant_id, n.variant_id, n.on_hand::bigint as on_hand, n.reserved::bigint as reserved
    from new_rows n
    union all
    select o.tenant_id, o.variant_id, -o.on_hand::bigint, -o.reserved::bigint
    from old_rows o
  ) d
  group by d.tenant_id, d.variant_id
  having sum(d.on_hand) <> 0 or sum(d.reserved) <> 0
  order by d.tenant_id, d.variant_id
  on conflict (tenant_id, variant_id) do update
    set on_hand = a.on_hand + excluded.on_hand,
        reserved = a.reserved + excluded.reserved;
  return null;
end
$$;

-- Stock rows deleted (only when a brand is deleted, by the administrative connection): their
-- units leave the rows that are still there (the brand's rows go in the same transaction).
create function app.availability_stock_deleted() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  d record;
begin
  for d in
    select o.tenant_id, o.variant_id, sum(o.on_hand) as on_hand, sum(o.reserved) as reserved
    from old_rows o
    group by o.tenant_id, o.variant_id
    order by o.tenant_id, o.variant_id
  loop
    update app.availability a
    set on_hand = a.on_hand - d.on_hand, reserved = a.reserved - d.reserved
    where a.tenant_id = d.tenant_id and a.variant_id = d.variant_id;
  end loop;
  return null;
end
$$;

-- Holds inserted (checkout, a payment that takes the units again): an active one may be the
-- variant's earliest.
create function app.availability_holds_inserted() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
begin
  insert into app.availability as a (tenant_id, variant_id, hold_expiry)
  select n.tenant_id, n.variant_id, min(n.expires_at)
  from new_rows n
  where n.status = 'active'
  group by n.tenant_id, n.variant_id
  order by n.tenant_id, n.variant_id
  on conflict (tenant_id, variant_id) do update
    set hold_expiry = least(a.hold_expiry, excluded.hold_expiry);
  return null;
end
$$;

-- Holds updated or deleted: when a hold that was active at the variant's earliest expiry ends
-- (confirmed, released, expired) or moves, the earliest expiry is read again from the
-- variant's active holds (holds_active_row_idx); a hold that became active, or whose expiry
-- moved earlier, can only bring it forward. Updates that touch no active hold (a shipment
-- counting shipped units, a restock of confirmed holds) write nothing.
create function app.availability_holds_changed() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  d record;
begin
  for d in
    select o.tenant_id, o.variant_id, min(o.expires_at) as earliest
    from old_rows o
    where o.status = 'active'
    group by o.tenant_id, o.variant_id
    order by o.tenant_id, o.variant_id
  loop
    update app.availability a
    set hold_expiry = (select min(h.expires_at) from app.holds h
                       where h.tenant_id = a.tenant_id and h.variant_id = a.variant_id
                         and h.status = 'active')
    where a.tenant_id = d.tenant_id and a.variant_id = d.variant_id
      and a.hold_expiry <= d.earliest;
  end loop;
  if tg_op = 'UPDATE' then
    for d in
      select n.tenant_id, n.variant_id, min(n.expires_at) as earliest
      from new_rows n
      where n.status = 'active'
      group by n.tenant_id, n.variant_id
      order by n.tenant_id, n.variant_id
    loop
      update app.availability a
      set hold_expiry = d.earliest
      where a.tenant_id = d.tenant_id and a.variant_id = d.variant_id
        and (a.hold_expiry is null or a.hold_expiry > d.earliest);
    end loop;
  end if;
  return null;
end
$$;

-- The triggers are created before the backfill: they lock both tables against writes until
-- this migration commits, so no change can fall between the backfill and the triggers.
create trigger availability_stock_inserted after insert on app.stock
  referencing new table as new_rows
  for each statement execute function app.availability_stock_inserted();
create trigger availability_stock_updated after update on app.stock
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.availability_stock_updated();
create trigger availability_stock_deleted after delete on app.stock
  referencing old table as old_rows
  for each statement execute function app.availability_stock_deleted();
create trigger availability_holds_inserted after insert on app.holds
  referencing new table as new_rows
  for each statement execute function app.availability_holds_inserted();
create trigger availability_holds_updated after update on app.holds
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.availability_holds_changed();
create trigger availability_holds_deleted after delete on app.holds
  referencing old table as old_rows
  for each statement execute function app.availability_holds_changed();

-- The backfill. The owner is subject to the forced row-level security and has no policy of its
-- own, so it lifts FORCE for these statements, in this transaction, and puts it back (as V16
-- and V25 do).
alter table app.stock no force row level security;
alter table app.holds no force row level security;
alter table app.availability no force row level security;
insert into app.availability (tenant_id, variant_id, on_hand, reserved, hold_expiry)
select s.tenant_id, s.variant_id, sum(s.on_hand), sum(s.reserved),
       (select min(h.expires_at) from app.holds h
        where h.tenant_id = s.tenant_id and h.variant_id = s.variant_id and h.status = 'active')
from app.stock s
group by s.tenant_id, s.variant_id;
alter table app.stock force row level security;
alter table app.holds force row level security;
alter table app.availability force row level security;

-- The readers, on the maintained rows. Same signatures and results as V11's.
--
-- A set of variants (a page of products asks once): the variants whose row is exact, from the
-- row (one primary-key lookup each); the others (an active hold expired, not yet released),
-- aggregated as in V11. Variants without a row have never had stock: absent, callers coalesce.
create or replace function app.variant_availability(p_variants uuid[], p_zone uuid default null)
  returns table (variant_id uuid, all_zones bigint, in_zone bigint)
  language sql stable
  set search_path = pg_catalog, app
as $$
  with m as materialized (
    select a.tenant_id, a.variant_id, a.on_hand - a.reserved as units,
           (a.hold_expiry is null or a.hold_expiry > now()) as exact
    from app.availability a
    where a.variant_id = any (p_variants)
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
  group by u.variant_id
$$;

-- One variant, over all active zones or in one. Kept self-contained (see V11 on SQL functions
-- calling each other).
create or replace function app.available(p_variant uuid, p_zone uuid default null) returns bigint
  language sql stable
  set search_path = pg_catalog, app
as $$
  select coalesce((
    select case
             when a.hold_expiry is not null and a.hold_expiry <= now() then
               (select coalesce(sum(u.units), 0)
                from app.available_units u
                where u.variant_id = p_variant and (p_zone is null or u.zone_id = p_zone))
             when p_zone is null then
               a.on_hand - a.reserved
               - case when exists (select from app.zones z where not z.is_active)
                      then coalesce((select sum(s.on_hand - s.reserved)
                                     from app.stock s
                                     join app.zones z on z.id = s.zone_id
                                     where s.tenant_id = a.tenant_id and s.variant_id = a.variant_id
                                       and not z.is_active), 0)
                      else 0 end
             else
               coalesce((select s.on_hand - s.reserved
                         from app.stock s
                         join app.zones z on z.id = s.zone_id
                         where s.tenant_id = a.tenant_id and s.variant_id = a.variant_id
                           and s.zone_id = p_zone and z.is_active), 0)
           end
    from app.availability a
    where a.variant_id = p_variant), 0)::bigint
$$;
