-- Set-based: every new product of a chunk of brand $1 in one statement.
insert into app.products
  (tenant_id, number, handle, category_id, sku_stem, name, description, status,
   base_price_minor, axes)
select $1::uuid, u.*
from unnest($2::int[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::bigint[], $10::jsonb[]) as u
returning id, number
