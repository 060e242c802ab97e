-- The import runs the same prepared statements over and over with arrays of varying size
-- against tables it is filling. After five runs PostgreSQL may switch to a generic plan that
-- assumes tiny inputs (a nested loop over stock rows took seconds per chunk); planning each
-- run afresh costs far less. SET LOCAL: gone at COMMIT or ROLLBACK.
set local plan_cache_mode = force_custom_plan
