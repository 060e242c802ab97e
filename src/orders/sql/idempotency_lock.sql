-- Serialises concurrent retries of one checkout (same brand and key) until the first commits.
select pg_advisory_xact_lock(hashtextextended($1, 7243))
