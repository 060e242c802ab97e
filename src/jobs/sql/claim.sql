-- Claims up to $1 due jobs: queued ones whose time has come, and running ones whose claim
-- lapsed (their worker died). SKIP LOCKED lets several workers claim side by side without
-- waiting for or taking each other's jobs.
with due as (
  select id from app.jobs
  where (status = 'queued' and run_at <= now())
     or (status = 'running' and locked_until < now())
  order by run_at
  limit $1
  for update skip locked
)
update app.jobs j
set status = 'running', attempts = j.attempts + 1,
    locked_until = now() + make_interval(secs => $2), updated_at = now()
from due
where j.id = due.id
returning j.id, j.tenant_id, j.kind, j.ref, j.attempts, j.max_attempts
