-- Finished jobs are kept a while for inspection, then removed.
delete from app.jobs where status = 'done' and updated_at < now() - interval '1 day'
