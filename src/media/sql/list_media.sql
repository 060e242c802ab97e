select name, content_type, size_bytes, sha256, object_key, position, created_at, updated_at
from app.product_media
where tenant_id = $1 and product_id = $2
order by position, name
