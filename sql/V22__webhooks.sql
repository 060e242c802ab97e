-- Signed outbound webhooks per brand: the endpoints a brand registers and one delivery row per
-- (endpoint, event). Both tables are tenant-owned; policies/80_webhooks.sql isolates them.
--
-- Fan-out happens in the event's own transaction (src/events/sql/record.sql): the statement
-- that writes an event also writes one delivery per active endpoint of the same brand that
-- subscribes to its type, and queues one job per delivery. So a delivery exists if and only
-- if its event committed, and a brand's events can only ever reach that brand's endpoints
-- (the endpoints are read through RLS, and the delivery's foreign keys carry tenant_id).

create table app.webhook_endpoints (
  tenant_id     uuid not null default app.current_tenant() references app.tenants (id),
  id            uuid not null default gen_random_uuid(),
  url           text not null
                constraint webhook_endpoints_url check (length(url) between 8 and 2000 and url ~ '^https?://'),
  -- The event types the endpoint receives (values of app.events.type).
  event_types   text[] not null
                constraint webhook_endpoints_types check (cardinality(event_types) between 1 and 64),
  -- The signing secret. Kept readable (not hashed): every delivery is signed with it. Shown to
  -- staff once, when created or rotated; never returned by reads.
  secret        text not null constraint webhook_endpoints_secret check (length(secret) between 32 and 200),
  active        boolean not null default true,
  -- Deliveries that failed for good in a row; reset by a success. At WEBHOOK_DISABLE_AFTER the
  -- endpoint is disabled and a webhook.disabled event is recorded.
  consecutive_failures integer not null default 0
                constraint webhook_endpoints_failures check (consecutive_failures >= 0),
  disabled_at   timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (tenant_id, id)
);

create table app.webhook_deliveries (
  tenant_id     uuid not null default app.current_tenant() references app.tenants (id),
  id            uuid not null default gen_random_uuid(),
  endpoint_id   uuid not null,
  event_id      uuid not null,
  status        text not null default 'pending'
                constraint webhook_deliveries_status check (status in ('pending', 'delivered', 'failed')),
  attempts      integer not null default 0 constraint webhook_deliveries_attempts check (attempts >= 0),
  last_status_code integer,
  last_error    text constraint webhook_deliveries_error_length check (length(last_error) <= 2000),
  next_attempt_at timestamptz,
  delivered_at  timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (tenant_id, id),
  -- Deleting an endpoint deletes its delivery log.
  foreign key (tenant_id, endpoint_id) references app.webhook_endpoints (tenant_id, id) on delete cascade,
  foreign key (tenant_id, event_id) references app.events (tenant_id, id),
  -- An event reaches an endpoint once: the fan-out writes one row, a redelivery reuses it.
  constraint webhook_deliveries_once unique (tenant_id, endpoint_id, event_id)
);
-- The delivery log of one endpoint, newest first.
create index webhook_deliveries_log_idx on app.webhook_deliveries (tenant_id, endpoint_id, created_at desc);
-- Pruning old deliveries, brand by brand.
create index webhook_deliveries_age_idx on app.webhook_deliveries (tenant_id, created_at);
-- The event's deliveries (the foreign key's lookups).
create index webhook_deliveries_event_idx on app.webhook_deliveries (tenant_id, event_id);

alter table app.webhook_endpoints enable row level security;
alter table app.webhook_endpoints force row level security;
alter table app.webhook_deliveries enable row level security;
alter table app.webhook_deliveries force row level security;

-- The brand is told when one of its endpoints is disabled: a new event type. The V17 check is
-- replaced by a wider one (backward compatible: every value the previous release writes is
-- still allowed). Added NOT VALID, then validated: validation takes a lock that lets writes go on.
alter table app.events drop constraint events_type;
alter table app.events add constraint events_type_v22 check (type in (
  'order.created', 'order.paid', 'order.payment_conflict', 'order.cancelled',
  'order.expired', 'order.shipped', 'stock.low', 'import.finished',
  'conversation.handoff', 'conversation.message', 'webhook.disabled')) not valid;
alter table app.events validate constraint events_type_v22;
