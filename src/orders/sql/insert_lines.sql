insert into app.order_lines (order_id, position, variant_id, sku, quantity, unit_price_minor,
                             tax_class, tax_rate_bp, tax_minor, line_total_minor)
select $1, position, variant_id, sku, quantity, unit_price_minor,
       tax_class, tax_rate_bp, tax_minor, line_total_minor
from unnest($2::int[], $3::uuid[], $4::text[], $5::int[], $6::bigint[], $7::text[], $8::int[],
            $9::bigint[], $10::bigint[])
  as l(position, variant_id, sku, quantity, unit_price_minor, tax_class, tax_rate_bp, tax_minor,
       line_total_minor)
returning id, position
