-- Set-based: every new product of a chunk in one statement. tenant_id is not named: it
-- defaults to the transaction's tenant, and the policy's WITH CHECK refuses any other.
insert into app.products
  (number, handle, category_id, sku_stem, name, description, status, base_price_minor, axes)
select *
from unnest($1::int[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::bigint[], $9::jsonb[])
returning id, number
