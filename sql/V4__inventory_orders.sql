-- Stock that never oversells, customers, orders, payments, fulfilment, and the job queue.
--
-- Lock order, followed by every transaction that touches these tables, so that concurrent
-- checkouts, confirmations, cancellations, expiries and transfers cannot deadlock:
--   1. order rows (by id), 2. stock rows (by variant_id, zone_id), 3. hold rows.

-- Warehouse zones: shared physical space, managed by the owner. Global: several brands store
-- stock in one zone.
create table app.zones (
  id          uuid primary key default gen_random_uuid(),
  code        text not null
              constraint zones_code_format check (code ~ '^[A-Z0-9][A-Z0-9-]{1,15}$'),
  name        text not null
              constraint zones_name_length check (length(btrim(name)) between 1 and 200),
  city        text not null default '',
  region      text not null default '',
  -- Allocation order after the customer's preferred zone: lower first, then by code.
  priority    integer not null default 100,
  is_active   boolean not null default true,
  created_at  timestamptz not null default now(),
  constraint zones_code_key unique (code)
);

-- Per-brand settings the order flow needs. Tenant-owned; the payment webhook secret is never
-- returned by any endpoint.
create table app.brand_settings (
  tenant_id                uuid not null default app.current_tenant() references app.tenants (id),
  hold_minutes             integer not null default 15
                           constraint brand_settings_hold_minutes check (hold_minutes between 1 and 1440),
  payment_webhook_secret   text,
  updated_at               timestamptz not null default now(),
  primary key (tenant_id)
);
alter table app.brand_settings enable row level security;
alter table app.brand_settings force row level security;

-- Stock of one variant in one zone. on_hand counts units on the shelf; reserved counts units
-- held for unpaid orders. The checks make overselling a constraint violation, not a bug.
create table app.stock (
  tenant_id   uuid not null default app.current_tenant() references app.tenants (id),
  variant_id  uuid not null,
  zone_id     uuid not null references app.zones (id),
  on_hand     integer not null default 0,
  reserved    integer not null default 0,
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, variant_id, zone_id),
  constraint stock_reserved_nonnegative check (reserved >= 0),
  constraint stock_reserved_within_on_hand check (reserved <= on_hand),
  constraint stock_variant_fkey foreign key (tenant_id, variant_id) references app.variants (tenant_id, id)
);
alter table app.stock enable row level security;
alter table app.stock force row level security;
create index stock_zone_idx on app.stock (tenant_id, zone_id);

-- The ledger: every change of on_hand or reserved, so any stock figure can be explained.
-- Append-only for the API role. For every stock row, on_hand = sum(on_hand_delta) and
-- reserved = sum(reserved_delta) over its movements.
create table app.stock_movements (
  tenant_id       uuid not null default app.current_tenant() references app.tenants (id),
  id              bigint generated always as identity,
  variant_id      uuid not null,
  zone_id         uuid not null references app.zones (id),
  kind            text not null
                  constraint stock_movements_kind check (kind in (
                    'receive', 'adjust', 'transfer_out', 'transfer_in', 'reserve', 'release',
                    'expire', 'sale', 'cancel')),
  on_hand_delta   integer not null default 0,
  reserved_delta  integer not null default 0,
  reason          text,
  order_id        uuid,
  hold_id         uuid,
  user_id         uuid default app.current_user_id(),
  role            text default app.current_actor_role(),
  at              timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint stock_movements_variant_fkey foreign key (tenant_id, variant_id) references app.variants (tenant_id, id)
);
alter table app.stock_movements enable row level security;
alter table app.stock_movements force row level security;
create index stock_movements_row_idx on app.stock_movements (tenant_id, variant_id, zone_id, id);
create index stock_movements_order_idx on app.stock_movements (tenant_id, order_id) where order_id is not null;

create table app.customers (
  tenant_id           uuid not null default app.current_tenant() references app.tenants (id),
  id                  uuid not null default gen_random_uuid(),
  name                text not null default '',
  email               text
                      constraint customers_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+$'),
  -- E.164, e.g. +4915123456789.
  phone               text constraint customers_phone_e164 check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  whatsapp_id         text constraint customers_whatsapp_id_format check (whatsapp_id ~ '^[0-9]{6,20}$'),
  preferred_language  text constraint customers_language_format check (preferred_language ~ '^[a-z]{2}$'),
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  primary key (tenant_id, id)
);
alter table app.customers enable row level security;
alter table app.customers force row level security;
create unique index customers_email_key on app.customers (tenant_id, email) where email is not null;
create unique index customers_whatsapp_key on app.customers (tenant_id, whatsapp_id) where whatsapp_id is not null;

create table app.order_counters (
  tenant_id    uuid not null default app.current_tenant() references app.tenants (id),
  last_number  integer not null constraint order_counters_positive check (last_number > 0),
  primary key (tenant_id)
);
alter table app.order_counters enable row level security;
alter table app.order_counters force row level security;

create table app.orders (
  tenant_id          uuid not null default app.current_tenant() references app.tenants (id),
  id                 uuid not null default gen_random_uuid(),
  number             integer not null,
  customer_id        uuid not null,
  status             text not null default 'pending_payment'
                     constraint orders_status check (status in (
                       'pending_payment', 'paid', 'shipped', 'cancelled', 'expired', 'payment_conflict')),
  currency           text not null,
  total_minor        bigint not null constraint orders_total_nonnegative check (total_minor >= 0),
  preferred_zone_id  uuid references app.zones (id),
  idempotency_key    text not null,
  -- SHA-256 of the checkout request: a retry must repeat the same request.
  request_hash       bytea not null,
  holds_expire_at    timestamptz not null,
  conflict_reason    text,
  created_at         timestamptz not null default now(),
  paid_at            timestamptz,
  shipped_at         timestamptz,
  cancelled_at       timestamptz,
  expired_at         timestamptz,
  updated_at         timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint orders_number_key unique (tenant_id, number),
  constraint orders_idempotency_key unique (tenant_id, idempotency_key),
  constraint orders_customer_fkey foreign key (tenant_id, customer_id) references app.customers (tenant_id, id)
);
alter table app.orders enable row level security;
alter table app.orders force row level security;
create index orders_status_idx on app.orders (tenant_id, status, created_at);
create index orders_created_idx on app.orders (tenant_id, created_at);
create index orders_customer_idx on app.orders (tenant_id, customer_id);

create table app.order_lines (
  tenant_id         uuid not null default app.current_tenant() references app.tenants (id),
  id                uuid not null default gen_random_uuid(),
  order_id          uuid not null,
  position          integer not null,
  variant_id        uuid not null,
  sku               text not null,
  quantity          integer not null constraint order_lines_quantity_positive check (quantity > 0),
  unit_price_minor  bigint not null constraint order_lines_price_nonnegative check (unit_price_minor >= 0),
  primary key (tenant_id, id),
  constraint order_lines_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id),
  constraint order_lines_variant_fkey foreign key (tenant_id, variant_id) references app.variants (tenant_id, id)
);
alter table app.order_lines enable row level security;
alter table app.order_lines force row level security;
create index order_lines_order_idx on app.order_lines (tenant_id, order_id, position);

-- A hold reserves units of one stock row for one order line until it expires, is released,
-- or is confirmed by payment (then the units leave on_hand).
create table app.holds (
  tenant_id      uuid not null default app.current_tenant() references app.tenants (id),
  id             uuid not null default gen_random_uuid(),
  order_id       uuid not null,
  order_line_id  uuid not null,
  variant_id     uuid not null,
  zone_id        uuid not null,
  quantity       integer not null constraint holds_quantity_positive check (quantity > 0),
  status         text not null default 'active'
                 constraint holds_status check (status in ('active', 'released', 'expired', 'confirmed')),
  expires_at     timestamptz not null,
  created_at     timestamptz not null default now(),
  ended_at       timestamptz,
  primary key (tenant_id, id),
  constraint holds_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id),
  constraint holds_line_fkey foreign key (tenant_id, order_line_id) references app.order_lines (tenant_id, id),
  constraint holds_stock_fkey foreign key (tenant_id, variant_id, zone_id) references app.stock (tenant_id, variant_id, zone_id)
);
alter table app.holds enable row level security;
alter table app.holds force row level security;
-- Active holds of a stock row (availability, releasing expired holds on a contended row).
create index holds_active_row_idx on app.holds (tenant_id, variant_id, zone_id, expires_at) where status = 'active';
create index holds_order_idx on app.holds (tenant_id, order_id);

-- Payment provider events already processed: a retried callback is a no-op.
create table app.payment_events (
  tenant_id    uuid not null default app.current_tenant() references app.tenants (id),
  event_id     text not null
               constraint payment_events_event_id_length check (length(event_id) between 1 and 200),
  order_id     uuid not null,
  outcome      text not null,
  received_at  timestamptz not null default now(),
  primary key (tenant_id, event_id)
);
alter table app.payment_events enable row level security;
alter table app.payment_events force row level security;

-- The job queue: references to work, never tenant data. A worker claims due jobs with
-- FOR UPDATE SKIP LOCKED (several replicas may run workers) and does the work in a tenant
-- transaction for the job's brand. Failures retry with backoff; a job failing max_attempts
-- times is parked with its error.
create table app.jobs (
  id            bigint generated always as identity primary key,
  tenant_id     uuid not null references app.tenants (id),
  kind          text not null constraint jobs_kind_format check (kind ~ '^[a-z_]+$'),
  ref           text not null,
  status        text not null default 'queued'
                constraint jobs_status check (status in ('queued', 'running', 'done', 'parked')),
  run_at        timestamptz not null default now(),
  attempts      integer not null default 0,
  max_attempts  integer not null default 8,
  locked_until  timestamptz,
  last_error    text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
-- Due work, in order.
create index jobs_due_idx on app.jobs (run_at) where status = 'queued';
create index jobs_running_idx on app.jobs (locked_until) where status = 'running';
create index jobs_parked_idx on app.jobs (tenant_id, updated_at) where status = 'parked';
-- One queued job per (brand, kind, ref): enqueueing twice is a no-op.
create unique index jobs_pending_key on app.jobs (tenant_id, kind, ref) where status in ('queued', 'running');

-- Inside a brand's transaction a job can only be for that brand.
create function app.jobs_stamp() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if app.current_tenant() is not null then
    new.tenant_id := app.current_tenant();
  end if;
  return new;
end
$$;
create trigger jobs_stamp before insert on app.jobs
  for each row execute function app.jobs_stamp();

-- Units a customer can still order: on the shelf, minus held, plus holds that have expired but
-- were not released yet (an expired hold never blocks anyone). Active zones only; one zone or
-- all of them. Invoker's rights: row-level security applies inside.
create function app.available(p_variant uuid, p_zone uuid default null) returns bigint
  language sql stable
as $$
  select coalesce((
           select sum(s.on_hand - s.reserved)
           from app.stock s join app.zones z on z.id = s.zone_id
           where s.variant_id = p_variant and z.is_active and (p_zone is null or s.zone_id = p_zone)
         ), 0)
       + coalesce((
           select sum(h.quantity)
           from app.holds h join app.zones z on z.id = h.zone_id
           where h.variant_id = p_variant and h.status = 'active' and h.expires_at <= now()
             and z.is_active and (p_zone is null or h.zone_id = p_zone)
         ), 0)
$$;
