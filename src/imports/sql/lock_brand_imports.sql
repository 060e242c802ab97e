-- One import at a time per brand: a second one waits here until the first commits or rolls
-- back, then plans against what the first wrote. Other brands are not affected.
select pg_advisory_xact_lock(hashtextextended('brandhouse.import:' || app.current_tenant()::text, 0))
