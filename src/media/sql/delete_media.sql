delete from app.product_media
where product_id = $1 and name = $2
returning object_key
