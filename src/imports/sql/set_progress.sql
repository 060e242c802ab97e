-- Progress of a running import, written from its own short transaction. A finished import is
-- never moved back.
update app.imports
set state = $3,
    rows_total = $4,
    rows_validated = $5,
    rows_applied = $6,
    started_at = coalesce(started_at, now()),
    updated_at = now()
where tenant_id = $1 and id = $2 and state not in ('done', 'failed')
