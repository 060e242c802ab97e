-- Numbers the event after the brand's last one and writes it. The counter's row stays locked
-- until the transaction ends, so the brand's events commit in the order of their numbers.
-- pg_notify is delivered at COMMIT only (never for a rolled-back change) and carries ids only.
with counter as (
  insert into app.event_counters as c (last_seq) values (1)
  on conflict (tenant_id) do update set last_seq = c.last_seq + 1
  returning last_seq
), written as (
  insert into app.events (seq, type, subject, payload, pii)
  select last_seq, $1::text, $2::text, $3::jsonb, $4::jsonb from counter
  returning tenant_id, seq
)
select seq, pg_notify('brandhouse_events', tenant_id::text || ':' || seq::text)
from written
