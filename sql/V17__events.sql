-- The transactional outbox: every business change writes an event row in the same tenant
-- transaction, so an event exists if and only if its change committed.
--
-- Resumption needs an order that never skips a row a reader has not seen yet. A plain
-- sequence or identity column does not give it: two transactions take 7 and 8, 8 commits
-- first, a reader sees 8 and moves past 7 for good. So each brand's numbers come from
-- app.event_counters, incremented with an upsert: the row stays locked until the writing
-- transaction ends, so a brand's events commit in the order of their numbers, and a reader that
-- sees number n has already seen every smaller one (or will never see it: rolled back).
-- A rolled-back transaction rolls its increment back too, so the numbers have no gaps: after n
-- comes n + 1. The cost is that a brand's event-writing transactions queue on that row from
-- their first event to their COMMIT; writers record their events last for that reason.
create table app.event_counters (
  tenant_id  uuid not null default app.current_tenant() references app.tenants (id),
  last_seq   bigint not null constraint event_counters_positive check (last_seq > 0),
  primary key (tenant_id)
);

create table app.events (
  tenant_id   uuid not null default app.current_tenant() references app.tenants (id),
  id          uuid not null default gen_random_uuid(),
  -- The brand's own numbering (1, 2, 3, ... per brand): what Last-Event-ID resumes from.
  seq         bigint not null constraint events_seq_positive check (seq > 0),
  type        text not null constraint events_type check (type in (
                'order.created', 'order.paid', 'order.payment_conflict', 'order.cancelled',
                'order.expired', 'order.shipped', 'stock.low', 'import.finished',
                'conversation.handoff', 'conversation.message')),
  -- What the event is about, e.g. the order number or the SKU.
  subject     text not null constraint events_subject_length check (length(subject) <= 200),
  -- Ids and figures of the brand only; never customer personal data.
  payload     jsonb not null,
  -- Customer personal data (a name, an email), kept apart so that readers whose role lacks
  -- customers.read get the event without it.
  pii         jsonb,
  created_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint events_seq_unique unique (tenant_id, seq)
);

alter table app.event_counters enable row level security;
alter table app.event_counters force row level security;
alter table app.events enable row level security;
alter table app.events force row level security;
