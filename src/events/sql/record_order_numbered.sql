-- record.sql for an event about the order this transaction has just numbered (checkout's
-- order.created, sent in the same round trip as place_order.sql, before its number is known
-- here): the subject is the order's number, and "number" is added to the payload, both read
-- from the brand's order counter, which this transaction holds locked. Apart from that line
-- the statement is record.sql (a unit test in events keeps them equal).
-- Numbers the event after the brand's last one and writes it. The counter's row stays locked
-- until the transaction ends, so the brand's events commit in the order of their numbers.
-- pg_notify is delivered at COMMIT only (never for a rolled-back change) and carries ids only.
--
-- Webhook fan-out in the same statement: one delivery per active endpoint of the transaction's
-- brand subscribed to the type (RLS shows no other brand's endpoints; the explicit tenant_id
-- matches the event's), and one delivery job per delivery. Both commit or roll back with the
-- event, so an endpoint hears of a change exactly when it committed, once.
with counter as (
  insert into app.event_counters as c (last_seq) values (1)
  on conflict (tenant_id) do update set last_seq = c.last_seq + 1
  returning last_seq
), written as (
  insert into app.events (seq, type, subject, payload, pii)
  select last_seq, $1::text, n.last_number::text, $2::jsonb || jsonb_build_object('number', n.last_number), $3::jsonb from counter, app.order_counters n where n.tenant_id = app.current_tenant()
  returning tenant_id, id, seq, type
), deliveries as (
  insert into app.webhook_deliveries (endpoint_id, event_id)
  select w.id, written.id
  from written
  join app.webhook_endpoints w on w.tenant_id = written.tenant_id
  where w.active and written.type = any (w.event_types)
  returning tenant_id, id
), queued as (
  insert into app.jobs (tenant_id, kind, ref, run_at)
  select tenant_id, 'deliver_webhook', id::text, now() from deliveries
  returning id
)
select seq, pg_notify('brandhouse_events', tenant_id::text || ':' || seq::text),
       (select count(*) from queued) as deliveries
from written
