-- One endpoint of the brand (another brand's id finds nothing). Never the secret.
select id, url, event_types, active, consecutive_failures, disabled_at, created_at, updated_at
from app.webhook_endpoints
where tenant_id = $1 and id = $2
