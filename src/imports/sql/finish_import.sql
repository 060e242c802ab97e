update app.imports
set state = $2,
    rows_total = $3,
    rows_validated = $4,
    rows_applied = $5,
    summary = coalesce($6, '{}'::jsonb),
    errors = $7,
    error_count = $8,
    failure = $9,
    started_at = coalesce(started_at, now()),
    finished_at = now(),
    updated_at = now()
where id = $1
