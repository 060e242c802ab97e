-- What an order's invoice shows, read from the order as its checkout stored it: the header
-- columns, and the lines as a JSON array of {sku, name, quantity, unit_price_minor,
-- tax_rate_bp, tax_minor, line_total_minor} in line order (the name is the product's, with the
-- variant's option values). Until orders carry tax, shipping and addresses, tax and shipping
-- are 0, the subtotal is the total and the addresses are null: this is the one statement to
-- change when they do (the invoice's totals snapshot and the PDF both come from it).
select o.number, o.currency, o.customer_name, c.email as customer_email,
       o.total_minor as subtotal_minor,
       0::bigint as shipping_minor,
       0::bigint as tax_minor,
       o.total_minor,
       false as prices_include_tax,
       null::jsonb as shipping_address,
       null::jsonb as billing_address,
       null::text as shipping_method_name,
       coalesce((
         select jsonb_agg(jsonb_build_object(
                  'sku', l.sku,
                  'name', p.name || coalesce(' (' || (
                      select string_agg(x.opt ->> 'value', ', ' order by x.ord)
                      from jsonb_array_elements(v.options) with ordinality as x (opt, ord)) || ')', ''),
                  'quantity', l.quantity,
                  'unit_price_minor', l.unit_price_minor,
                  'tax_rate_bp', 0,
                  'tax_minor', 0,
                  'line_total_minor', l.unit_price_minor * l.quantity)
                order by l.position)
         from app.order_lines l
         join app.variants v on v.tenant_id = l.tenant_id and v.id = l.variant_id
         join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
         where l.tenant_id = o.tenant_id and l.order_id = o.id), '[]'::jsonb) as lines
from app.orders o
join app.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id
where o.tenant_id = $1 and o.id = $2
