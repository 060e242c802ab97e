insert into app.imports (id, file_name, object_key, size_bytes, dry_run)
values ($1, $2, $3, $4, $5)
returning created_at
