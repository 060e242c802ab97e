-- Set-based: the new variants of many products of brand $1 in one statement.
insert into app.variants (tenant_id, product_id, sku, option_key, options, position)
select $1::uuid, u.*
from unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::int[]) as u
returning id, sku
