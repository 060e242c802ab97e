insert into app.imports (tenant_id, id, file_name, object_key, size_bytes, dry_run)
values ($1, $2, $3, $4, $5, $6)
returning created_at
