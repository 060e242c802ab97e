-- Hands claimed jobs back to the queue, as if never claimed: the worker is shutting down and
-- has not started them. The attempt is not counted and the job is due at once, so another
-- replica takes it without waiting for the claim to lapse. Only jobs still under a claim move.
update app.jobs
set status = 'queued', attempts = greatest(attempts - 1, 0), locked_until = null,
    updated_at = now()
where id = any($1) and status = 'running'
