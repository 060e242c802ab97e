-- One endpoint's deliveries, newest first, with their event's type and number.
select d.id, d.endpoint_id, d.event_id, e.seq as event_seq, e.type as event_type, d.status,
       d.attempts, d.last_status_code, d.last_error, d.next_attempt_at, d.delivered_at,
       d.created_at, d.updated_at
from app.webhook_deliveries d
join app.events e on e.tenant_id = d.tenant_id and e.id = d.event_id
where d.tenant_id = $1 and d.endpoint_id = $2
order by d.created_at desc, d.id desc
limit $3
