update app.imports
set state = $3,
    rows_total = $4,
    rows_validated = $5,
    rows_applied = $6,
    summary = coalesce($7, '{}'::jsonb),
    errors = $8,
    error_count = $9,
    failure = $10,
    started_at = coalesce(started_at, now()),
    finished_at = now(),
    updated_at = now()
where tenant_id = $1 and id = $2
