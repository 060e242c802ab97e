-- Set-based: one statement for all of a product's new variants; tenant_id from the default.
insert into app.variants (product_id, sku, option_key, options, position)
select $1, sku, option_key, options, position
from unnest($2::text[], $3::text[], $4::jsonb[], $5::int[]) as v(sku, option_key, options, position)
