-- A partial update of brand $1's product $2: null keeps the current value.
update app.products
set name = coalesce($3, name),
    description = coalesce($4, description),
    status = coalesce($5, status),
    base_price_minor = coalesce($6, base_price_minor),
    category_id = coalesce($7, category_id),
    axes = coalesce($8, axes),
    tax_class = coalesce($9, tax_class),
    updated_at = now()
where tenant_id = $1 and id = $2
