-- Deletes an endpoint and (on delete cascade) its delivery log. Queued delivery jobs then find
-- nothing and end.
delete from app.webhook_endpoints where tenant_id = $1 and id = $2
