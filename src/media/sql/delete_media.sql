delete from app.product_media
where tenant_id = $1 and product_id = $2 and name = $3
returning object_key
