-- What one delivery attempt needs: the delivery, its endpoint (with the secret) and its event
-- (never its pii column). All three of the transaction's brand: the joins carry tenant_id and
-- RLS shows no other brand's rows.
select d.id, d.status, d.attempts, w.id as endpoint_id, w.url, w.secret, w.active,
       e.id as event_id, e.seq, e.type, e.subject, e.payload, e.created_at
from app.webhook_deliveries d
join app.webhook_endpoints w on w.tenant_id = d.tenant_id and w.id = d.endpoint_id
join app.events e on e.tenant_id = d.tenant_id and e.id = d.event_id
where d.tenant_id = $1 and d.id = $2
