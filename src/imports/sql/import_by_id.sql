select id, file_name, object_key, size_bytes, dry_run, state, rows_total, rows_validated,
       rows_applied, summary, errors, error_count, failure, created_at, started_at, finished_at
from app.imports
where tenant_id = $1 and id = $2
