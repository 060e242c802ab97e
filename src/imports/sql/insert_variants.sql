-- Set-based: the new variants of many products in one statement.
insert into app.variants (product_id, sku, option_key, options, position)
select *
from unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::int[])
returning id, sku
