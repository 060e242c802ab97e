-- Shipments: a paid order leaves the warehouse in one or more parcels, each from one zone, with
-- a carrier and tracking; the order is `partially_shipped` until everything is out, then
-- `shipped`.
--
-- Backward compatible for one release: two new tables, a column with a default, wider checks
-- (every value the previous release writes is still allowed) and a new index. The previous
-- release's `ship` marks a paid order shipped without a shipment row; the new one shows such an
-- order with no shipments, and never ships it again.

create table app.shipments (
  tenant_id        uuid not null default app.current_tenant() references app.tenants (id),
  id               uuid not null default gen_random_uuid(),
  order_id         uuid not null,
  -- The zone the parcel left from (shared space, a global table).
  zone_id          uuid not null references app.zones (id),
  -- Null for a shipment recorded without tracking (`POST .../ship`, kept for old clients).
  carrier          text
                   constraint shipments_carrier_length check (length(carrier) between 1 and 100),
  tracking_number  text
                   constraint shipments_tracking_number_length check (length(tracking_number) between 1 and 100),
  -- https only: the storefront shows it to the customer as a link.
  tracking_url     text
                   constraint shipments_tracking_url_https check (length(tracking_url) between 9 and 2000 and tracking_url ~ '^https://'),
  -- The staff member who recorded it (null for the system).
  created_by       uuid default app.current_user_id(),
  shipped_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint shipments_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id)
);
alter table app.shipments enable row level security;
alter table app.shipments force row level security;
-- An order's shipments, in the order they left.
create index shipments_order_idx on app.shipments (tenant_id, order_id, shipped_at);

-- What one shipment carried: units of one order line.
create table app.shipment_lines (
  tenant_id      uuid not null default app.current_tenant() references app.tenants (id),
  id             uuid not null default gen_random_uuid(),
  shipment_id    uuid not null,
  order_line_id  uuid not null,
  quantity       integer not null constraint shipment_lines_quantity_positive check (quantity > 0),
  primary key (tenant_id, id),
  -- Also the index for a shipment's lines.
  constraint shipment_lines_once unique (tenant_id, shipment_id, order_line_id),
  constraint shipment_lines_shipment_fkey foreign key (tenant_id, shipment_id) references app.shipments (tenant_id, id),
  constraint shipment_lines_line_fkey foreign key (tenant_id, order_line_id) references app.order_lines (tenant_id, id)
);
alter table app.shipment_lines enable row level security;
alter table app.shipment_lines force row level security;
-- The foreign key's lookups from order lines (and a line's shipped units).
create index shipment_lines_line_idx on app.shipment_lines (tenant_id, order_line_id);

-- A confirmed hold is units sold from one stock row; shipped_quantity counts those that have
-- left the warehouse. The check makes over-shipping a constraint violation, not a bug: a hold
-- never ships more than it sold, and only a sale ships.
alter table app.holds add column shipped_quantity integer not null default 0;
alter table app.holds add constraint holds_shipped_within_sold
  check (shipped_quantity >= 0 and shipped_quantity <= quantity
         and (shipped_quantity = 0 or status = 'confirmed')) not valid;
alter table app.holds validate constraint holds_shipped_within_sold;

-- Orders shipped before shipments existed have no shipment rows; their sales count as shipped,
-- so they never show as still to ship. (The previous release, while it still runs during a
-- deploy, may ship more such orders: they show shipped with their lines unshipped, and nothing
-- ships them again, since only paid and partially shipped orders ship.) The owner is subject
-- to the forced row-level security and has no policy of its own, so the backfill lifts FORCE
-- for its own statement, in this transaction, and puts it back (as V16 does).
alter table app.holds no force row level security;
alter table app.orders no force row level security;
update app.holds h
set shipped_quantity = h.quantity
from app.orders o
where o.tenant_id = h.tenant_id and o.id = h.order_id and o.status = 'shipped'
  and h.status = 'confirmed';
alter table app.holds force row level security;
alter table app.orders force row level security;

-- The new status. The V4 check is replaced by a wider one, added NOT VALID and then validated
-- (validation lets writes go on).
alter table app.orders drop constraint orders_status;
alter table app.orders add constraint orders_status_v25 check (status in (
  'pending_payment', 'paid', 'partially_shipped', 'shipped', 'cancelled', 'expired',
  'payment_conflict')) not valid;
alter table app.orders validate constraint orders_status_v25;

-- Paid revenue counts partially shipped orders too: the covering index of V6 with the new
-- status in its predicate, so the overview and the time series stay index-only. V6's index
-- serves the previous release's statements; a later release drops it.
create index orders_paid_at_v25_idx on app.orders (paid_at)
  include (tenant_id, total_minor, units)
  where status in ('paid', 'partially_shipped', 'shipped');

-- A new event type, shipment.created (the V22 check, widened the same way).
alter table app.events drop constraint events_type_v22;
alter table app.events add constraint events_type_v25 check (type in (
  'order.created', 'order.paid', 'order.payment_conflict', 'order.cancelled',
  'order.expired', 'order.shipped', 'stock.low', 'import.finished',
  'conversation.handoff', 'conversation.message', 'webhook.disabled',
  'shipment.created')) not valid;
alter table app.events validate constraint events_type_v25;
