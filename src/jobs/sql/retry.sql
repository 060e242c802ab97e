-- A failed attempt: back to the queue after $2 seconds, or parked once attempts are used up.
update app.jobs
set status = case when attempts >= max_attempts or $4 then 'parked' else 'queued' end,
    run_at = now() + make_interval(secs => $2),
    locked_until = null,
    last_error = $3,
    updated_at = now()
where id = $1
returning status
