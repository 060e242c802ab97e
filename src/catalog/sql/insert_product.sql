insert into app.products
  (tenant_id, number, handle, category_id, sku_stem, name, description, status,
   base_price_minor, axes)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
returning id
