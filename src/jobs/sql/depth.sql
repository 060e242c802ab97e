-- The queue's depth for /metrics: unfinished jobs per kind and status, and per kind the age of
-- the oldest job that is due and still waiting (how far the workers are behind). No brand in
-- the answer: metrics carry no tenant data.
select kind,
       count(*) filter (where status = 'queued')::bigint as queued,
       count(*) filter (where status = 'running')::bigint as running,
       count(*) filter (where status = 'parked')::bigint as parked,
       coalesce(extract(epoch from now() - min(run_at) filter (where status = 'queued' and run_at <= now())), 0)::float8 as oldest_due_secs
from app.jobs
where status in ('queued', 'running', 'parked')
group by kind
