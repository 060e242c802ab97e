-- A brand's events after number $2, of the types the reader's role receives, oldest first.
-- RLS shows the transaction's brand only; the explicit tenant_id uses the (tenant_id, seq) key.
select e.id, e.tenant_id, t.slug as brand, e.seq, e.type, e.subject, e.payload,
       case when $4 then e.pii end as pii, e.created_at
from app.events e
join app.tenants t on t.id = e.tenant_id
where e.tenant_id = $1 and e.seq > $2 and e.type = any($3::text[])
order by e.seq
limit $5
