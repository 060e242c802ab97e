-- record.sql for an event about the order this transaction has just numbered (checkout's
-- order.created, sent in the same round trip as place_order.sql, before its number is known
-- here): the subject is the order's number, and "number" is added to the payload, both read
-- from the brand's order counter, which this transaction holds locked. It travels with the
-- transaction's COMMIT (db::Tx::query_and_commit): without the brand's counter row (the order
-- not numbered first) the subject is NULL, which the table refuses, and the COMMIT behind it
-- then rolls everything back, so no order commits without its event. Apart from that line
-- the statement is record.sql (a unit test in events keeps them equal).
-- Numbers the event after the brand's last one and writes it. The counter's row stays locked
-- until the transaction ends, so the brand's events commit in the order of their numbers.
-- pg_notify is delivered at COMMIT only (never for a rolled-back change) and carries ids only.
--
-- Webhook fan-out in the same statement: one delivery per active endpoint of the transaction's
-- brand subscribed to the type, and one delivery job per delivery. Both commit or roll back
-- with the event, so an endpoint hears of a change exactly when it committed, once.
--
-- $1 is the brand: every row written is its, and only its endpoints are read (RLS shows no
-- other brand's either).
with counter as (
  insert into app.event_counters as c (tenant_id, last_seq) values ($1, 1)
  on conflict (tenant_id) do update set last_seq = c.last_seq + 1
  returning last_seq
), written as (
  insert into app.events (tenant_id, seq, type, subject, payload, pii)
  select $1, last_seq, $2::text, n.last_number::text, $3::jsonb || jsonb_build_object('number', n.last_number), $4::jsonb from counter left join app.order_counters n on n.tenant_id = $1
  returning tenant_id, id, seq, type
), deliveries as (
  insert into app.webhook_deliveries (tenant_id, endpoint_id, event_id)
  select $1, w.id, written.id
  from written
  join app.webhook_endpoints w on w.tenant_id = written.tenant_id
  where w.tenant_id = $1 and w.active and written.type = any (w.event_types)
  returning tenant_id, id
), queued as (
  insert into app.jobs (tenant_id, kind, ref, run_at)
  select tenant_id, 'deliver_webhook', id::text, now() from deliveries
  returning id
)
select seq, pg_notify('brandhouse_events', tenant_id::text || ':' || seq::text),
       (select count(*) from queued) as deliveries
from written
