-- Queues a job; a job of the same brand, kind and ref that is still pending is kept (the
-- earlier run_at wins). Inside a brand's transaction the brand is the transaction's.
insert into app.jobs (tenant_id, kind, ref, run_at)
values (coalesce(app.current_tenant(), $1), $2, $3, $4)
on conflict (tenant_id, kind, ref) where status in ('queued', 'running')
do update set run_at = least(app.jobs.run_at, excluded.run_at), updated_at = now()
