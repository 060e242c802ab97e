-- Adds an image, or replaces the one of the same name (same key, new bytes). New images go
-- after the existing ones. tenant_id comes from the transaction's default.
insert into app.product_media (product_id, name, content_type, size_bytes, sha256, object_key, position)
values ($1, $2, $3, $4, $5, $6,
        coalesce((select max(position) + 1 from app.product_media where product_id = $1), 0))
on conflict (tenant_id, product_id, name) do update
set content_type = excluded.content_type,
    size_bytes = excluded.size_bytes,
    sha256 = excluded.sha256,
    object_key = excluded.object_key,
    updated_at = now()
returning name, content_type, size_bytes, sha256, object_key, position, created_at, updated_at
