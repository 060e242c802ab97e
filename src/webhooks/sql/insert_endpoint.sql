-- A new endpoint of the transaction's brand ($1; RLS checks it).
insert into app.webhook_endpoints (tenant_id, url, event_types, secret)
values ($1, $2, $3::text[], $4)
returning id, url, event_types, active, consecutive_failures, disabled_at, created_at, updated_at
