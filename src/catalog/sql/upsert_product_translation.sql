-- Writes product number $1's text in locale $2: name $3, description $4 (NULL: falls back to
-- the product's own), option labels $5. No row returned: no such product.
insert into app.product_translations (product_id, locale, name, description, option_labels)
select p.id, $2, $3, $4, $5 from app.products p where p.number = $1
on conflict (tenant_id, product_id, locale) do update
set name = excluded.name, description = excluded.description,
    option_labels = excluded.option_labels, updated_at = now()
returning product_id, updated_at
