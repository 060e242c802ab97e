-- Replaces the signing secret: deliveries sent from now on are signed with the new one.
update app.webhook_endpoints
set secret = $3, updated_at = now()
where tenant_id = $1 and id = $2
returning id, url, event_types, active, consecutive_failures, disabled_at, created_at, updated_at
