-- Returns, refunds and cancelling paid orders.
--
-- Backward compatible for one release: three new tables, a column with a default and wider
-- checks (every value the previous release writes is still allowed).

-- A customer sends units back: requested by support or a manager, approved or rejected by a
-- manager, received by the warehouse (resellable units back on a shelf, the others written
-- off). Requested, approved and received returns count against what the order shipped: an
-- order line never has more units in returns than left the warehouse.
create table app.returns (
  tenant_id     uuid not null default app.current_tenant() references app.tenants (id),
  id            uuid not null default gen_random_uuid(),
  order_id      uuid not null,
  status        text not null default 'requested'
                constraint returns_status check (status in ('requested', 'approved', 'rejected', 'received')),
  reason        text not null constraint returns_reason_length check (length(reason) between 1 and 1000),
  -- Why a manager rejected it (null otherwise).
  decision_note text constraint returns_decision_note_length check (length(decision_note) between 1 and 1000),
  requested_by  uuid default app.current_user_id(),
  decided_by    uuid,
  received_by   uuid,
  -- The zone the resellable units went back to.
  zone_id       uuid references app.zones (id),
  created_at    timestamptz not null default now(),
  decided_at    timestamptz,
  received_at   timestamptz,
  primary key (tenant_id, id),
  constraint returns_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id)
);
alter table app.returns enable row level security;
alter table app.returns force row level security;
-- An order's returns, oldest first.
create index returns_order_idx on app.returns (tenant_id, order_id, created_at);

-- Units of one order line in a return; at reception split into resellable and written off.
create table app.return_lines (
  tenant_id            uuid not null default app.current_tenant() references app.tenants (id),
  id                   uuid not null default gen_random_uuid(),
  return_id            uuid not null,
  order_line_id        uuid not null,
  quantity             integer not null constraint return_lines_quantity_positive check (quantity > 0),
  resellable_quantity  integer,
  written_off_quantity integer,
  write_off_reason     text constraint return_lines_write_off_reason_length check (length(write_off_reason) between 1 and 500),
  primary key (tenant_id, id),
  -- Also the index for a return's lines.
  constraint return_lines_once unique (tenant_id, return_id, order_line_id),
  -- Received: every unit is either resellable or written off; not yet: neither.
  constraint return_lines_split check (
    (resellable_quantity is null and written_off_quantity is null)
    or (resellable_quantity >= 0 and written_off_quantity >= 0
        and resellable_quantity + written_off_quantity = quantity)),
  constraint return_lines_return_fkey foreign key (tenant_id, return_id) references app.returns (tenant_id, id),
  constraint return_lines_line_fkey foreign key (tenant_id, order_line_id) references app.order_lines (tenant_id, id)
);
alter table app.return_lines enable row level security;
alter table app.return_lines force row level security;
-- The foreign key's lookups from order lines (and a line's units in returns).
create index return_lines_line_idx on app.return_lines (tenant_id, order_line_id);

-- Money going back to the customer: requested (sent to the payment provider through the
-- `refund.requested` event), then `refunded` or `failed` by the provider's signed callback.
-- Requested and refunded refunds together never exceed what the order captured (checked under
-- the order's row lock; the orders check below holds the confirmed part).
create table app.refunds (
  tenant_id         uuid not null default app.current_tenant() references app.tenants (id),
  id                uuid not null default gen_random_uuid(),
  order_id          uuid not null,
  status            text not null default 'requested'
                    constraint refunds_status check (status in ('requested', 'refunded', 'failed')),
  amount_minor      bigint not null constraint refunds_amount_positive check (amount_minor > 0),
  currency          text not null,
  -- The parts: the lines' shares, the shipping's, and a free amount (they sum to the amount).
  lines_minor       bigint not null default 0 constraint refunds_lines_nonnegative check (lines_minor >= 0),
  shipping_minor    bigint not null default 0 constraint refunds_shipping_nonnegative check (shipping_minor >= 0),
  free_minor        bigint not null default 0 constraint refunds_free_nonnegative check (free_minor >= 0),
  reason            text constraint refunds_reason_length check (length(reason) between 1 and 1000),
  -- The return it pays back, if any.
  return_id         uuid,
  -- Null for the refund a cancellation makes.
  idempotency_key   text constraint refunds_idempotency_key_length check (length(idempotency_key) between 1 and 200),
  request_hash      bytea,
  -- The provider event that settled it.
  provider_event_id text,
  created_by        uuid default app.current_user_id(),
  created_at        timestamptz not null default now(),
  settled_at        timestamptz,
  primary key (tenant_id, id),
  constraint refunds_parts_sum check (lines_minor + shipping_minor + free_minor = amount_minor),
  constraint refunds_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id),
  constraint refunds_return_fkey foreign key (tenant_id, return_id) references app.returns (tenant_id, id)
);
alter table app.refunds enable row level security;
alter table app.refunds force row level security;
create index refunds_order_idx on app.refunds (tenant_id, order_id, created_at);
-- Idempotency keys are per brand.
create unique index refunds_idempotency_key on app.refunds (tenant_id, idempotency_key)
  where idempotency_key is not null;
-- Net revenue: confirmed refunds by when they were settled.
create index refunds_settled_idx on app.refunds (settled_at) include (tenant_id, amount_minor, currency)
  where status = 'refunded';

-- Units of one order line a refund pays back.
create table app.refund_lines (
  tenant_id      uuid not null default app.current_tenant() references app.tenants (id),
  id             uuid not null default gen_random_uuid(),
  refund_id      uuid not null,
  order_line_id  uuid not null,
  quantity       integer not null constraint refund_lines_quantity_positive check (quantity > 0),
  amount_minor   bigint not null constraint refund_lines_amount_nonnegative check (amount_minor >= 0),
  primary key (tenant_id, id),
  constraint refund_lines_once unique (tenant_id, refund_id, order_line_id),
  constraint refund_lines_refund_fkey foreign key (tenant_id, refund_id) references app.refunds (tenant_id, id),
  constraint refund_lines_line_fkey foreign key (tenant_id, order_line_id) references app.order_lines (tenant_id, id)
);
alter table app.refund_lines enable row level security;
alter table app.refund_lines force row level security;
create index refund_lines_line_idx on app.refund_lines (tenant_id, order_line_id);

-- What confirmed refunds paid back; never more than the order's total.
alter table app.orders add column refunded_minor bigint not null default 0;
alter table app.orders add constraint orders_refunded_within_total
  check (refunded_minor >= 0 and refunded_minor <= total_minor) not valid;
alter table app.orders validate constraint orders_refunded_within_total;

-- The new status `refunded` (a paid order whose whole total went back), the V25 check widened
-- the same way.
alter table app.orders drop constraint orders_status_v25;
alter table app.orders add constraint orders_status_v28 check (status in (
  'pending_payment', 'paid', 'partially_shipped', 'shipped', 'cancelled', 'expired',
  'payment_conflict', 'refunded')) not valid;
alter table app.orders validate constraint orders_status_v28;

-- New ledger kinds: `return` (units back from a customer), `write_off` (returned units that
-- cannot be sold again, with a reason) and `restock` (a paid order cancelled before it shipped:
-- its sale reversed).
alter table app.stock_movements drop constraint stock_movements_kind;
alter table app.stock_movements add constraint stock_movements_kind_v28 check (kind in (
  'receive', 'adjust', 'transfer_out', 'transfer_in', 'reserve', 'release', 'expire', 'sale',
  'cancel', 'return', 'write_off', 'restock')) not valid;
alter table app.stock_movements validate constraint stock_movements_kind_v28;

-- New event types (the V25 check, widened the same way).
alter table app.events drop constraint events_type_v25;
alter table app.events add constraint events_type_v28 check (type in (
  'order.created', 'order.paid', 'order.payment_conflict', 'order.cancelled',
  'order.expired', 'order.shipped', 'stock.low', 'import.finished',
  'conversation.handoff', 'conversation.message', 'webhook.disabled',
  'shipment.created', 'return.requested', 'return.received', 'refund.requested',
  'refund.refunded', 'refund.failed')) not valid;
alter table app.events validate constraint events_type_v28;
