-- A partial update: null keeps the current value.
update app.products
set name = coalesce($2, name),
    description = coalesce($3, description),
    status = coalesce($4, status),
    base_price_minor = coalesce($5, base_price_minor),
    category_id = coalesce($6, category_id),
    axes = coalesce($7, axes),
    tax_class = coalesce($8, tax_class),
    updated_at = now()
where id = $1
