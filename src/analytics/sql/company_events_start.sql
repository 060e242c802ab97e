-- Where a company stream without Last-Event-ID starts: every brand's last event number.
select t.slug, c.last_seq
from app.event_counters c
join app.tenants t on t.id = c.tenant_id
order by t.slug
