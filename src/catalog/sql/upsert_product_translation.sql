-- Writes brand $1's product number $2's text in locale $3: name $4, description $5 (NULL:
-- falls back to the product's own), option labels $6. No row returned: no such product.
insert into app.product_translations (tenant_id, product_id, locale, name, description, option_labels)
select $1, p.id, $3, $4, $5, $6 from app.products p where p.tenant_id = $1 and p.number = $2
on conflict (tenant_id, product_id, locale) do update
set name = excluded.name, description = excluded.description,
    option_labels = excluded.option_labels, updated_at = now()
returning product_id, updated_at
