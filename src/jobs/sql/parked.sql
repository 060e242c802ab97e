select j.id, t.slug, j.kind, j.ref, j.attempts, j.last_error, j.updated_at
from app.jobs j join app.tenants t on t.id = j.tenant_id
where j.status = 'parked'
order by j.updated_at desc
limit $1
