-- Deletes a shipping method. Orders keep their own snapshot of its code, name and price.
delete from app.shipping_methods where tenant_id = $1 and code = $2
