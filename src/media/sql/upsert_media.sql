-- Adds an image to brand $1's product $2, or replaces the one of the same name (same key, new
-- bytes). New images go after the existing ones.
insert into app.product_media
  (tenant_id, product_id, name, content_type, size_bytes, sha256, object_key, position)
values ($1, $2, $3, $4, $5, $6, $7,
        coalesce((select max(e.position) + 1 from app.product_media e
                  where e.tenant_id = $1 and e.product_id = $2), 0))
on conflict (tenant_id, product_id, name) do update
set content_type = excluded.content_type,
    size_bytes = excluded.size_bytes,
    sha256 = excluded.sha256,
    object_key = excluded.object_key,
    updated_at = now()
returning name, content_type, size_bytes, sha256, object_key, position, created_at, updated_at
