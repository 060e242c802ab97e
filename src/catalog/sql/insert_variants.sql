-- Set-based: one statement for all of brand $1's product $2's new variants.
insert into app.variants (tenant_id, product_id, sku, option_key, options, position)
select $1::uuid, $2, sku, option_key, options, position
from unnest($3::text[], $4::text[], $5::jsonb[], $6::int[]) as v(sku, option_key, options, position)
