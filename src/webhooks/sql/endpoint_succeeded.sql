-- A delivery succeeded: the run of failures ends.
update app.webhook_endpoints
set consecutive_failures = 0, updated_at = now()
where tenant_id = $1 and id = $2 and consecutive_failures <> 0
