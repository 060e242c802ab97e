insert into app.order_lines (order_id, position, variant_id, sku, quantity, unit_price_minor)
select $1, position, variant_id, sku, quantity, unit_price_minor
from unnest($2::int[], $3::uuid[], $4::text[], $5::int[], $6::bigint[])
  as l(position, variant_id, sku, quantity, unit_price_minor)
returning id, position
