-- Claims up to $1 due jobs: queued ones whose time has come, and running ones whose claim
-- lapsed (their worker died). Fair across brands: each brand's due jobs are numbered by age and
-- the claim takes every brand's first before any brand's second, so one brand's thousand
-- queued jobs do not starve another brand's order expiry. SKIP LOCKED lets several workers
-- claim side by side without waiting for or taking each other's jobs. The locking scan says
-- again that the job is due: `due` reads the statement's snapshot, and a claim that committed
-- after it is seen only by the row lock, which rechecks the conditions on `j` alone (without
-- them, two workers both claimed the job and a webhook went out twice).
with due as (
  select id, run_at,
         row_number() over (partition by tenant_id order by run_at, id) as turn
  from app.jobs
  where (status = 'queued' and run_at <= now())
     or (status = 'running' and locked_until < now())
),
picked as (
  select j.id
  from app.jobs j
  join due on due.id = j.id
  where due.turn <= $1
    and ((j.status = 'queued' and j.run_at <= now())
         or (j.status = 'running' and j.locked_until < now()))
  order by due.turn, due.run_at, due.id
  limit $1
  for update of j skip locked
)
update app.jobs j
set status = 'running', attempts = j.attempts + 1,
    locked_until = now() + make_interval(secs => $2), updated_at = now()
from picked
where j.id = picked.id
returning j.id, j.tenant_id, j.kind, j.ref, j.attempts, j.max_attempts
