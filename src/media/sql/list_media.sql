select name, content_type, size_bytes, sha256, object_key, position, created_at, updated_at
from app.product_media
where product_id = $1
order by position, name
