-- Finished deliveries older than $2 seconds; pending ones stay until they finish.
delete from app.webhook_deliveries
where tenant_id = $1 and status <> 'pending'
  and created_at < now() - make_interval(secs => $2::float8)
