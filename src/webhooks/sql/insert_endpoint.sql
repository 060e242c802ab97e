-- A new endpoint of the transaction's brand (tenant_id from the default; RLS checks it).
insert into app.webhook_endpoints (url, event_types, secret)
values ($1, $2::text[], $3)
returning id, url, event_types, active, consecutive_failures, disabled_at, created_at, updated_at
