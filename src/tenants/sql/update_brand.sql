-- A partial update: null parameters keep the current value. The slug and SKU prefix never
-- change (they are in URLs, object keys and printed SKUs).
update app.tenants
set name = coalesce($2, name),
    theme = coalesce($3, theme),
    features = coalesce($4, features),
    is_active = coalesce($5, is_active),
    updated_at = now()
where id = $1
