-- Progress of a running import, written from its own short transaction. A finished import is
-- never moved back.
update app.imports
set state = $2,
    rows_total = $3,
    rows_validated = $4,
    rows_applied = $5,
    started_at = coalesce(started_at, now()),
    updated_at = now()
where id = $1 and state not in ('done', 'failed')
