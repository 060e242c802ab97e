-- What an order's invoice shows, read from the order as its checkout stored it: the header
-- columns, and the lines as a JSON array of {id, sku, name, quantity, unit_price_minor,
-- tax_rate_bp, tax_minor, line_total_minor, discount_minor, charged_minor} in line order (the
-- name is the product's, with the variant's option values). line_total_minor is unit price x
-- quantity as the brand prices it (before the line's discount, with tax only when prices
-- include it), as the invoice's Amount column and tax breakdown read it; charged_minor is what
-- the line cost the customer, tax included, after its discount (the stored line_total_minor,
-- which refunds share out and credit notes reverse). Subtotal, shipping, tax and each line's tax are the checkout's
-- snapshot (V24); an order placed before V24 reads as subtotal = total with no shipping or tax.
-- Addresses are reshaped for printing: {name, lines: [line1, line2], city, postal_code, region,
-- country} (the phone is not printed). The invoice's totals snapshot and the PDF both come from
-- this one statement.
select o.number, o.currency, o.customer_name, c.email as customer_email,
       coalesce(o.subtotal_minor, o.total_minor) as subtotal_minor,
       o.shipping_minor,
       o.discount_minor,
       o.tax_minor,
       o.total_minor,
       coalesce(o.prices_include_tax, false) as prices_include_tax,
       (select jsonb_build_object(
                 'name', a ->> 'name',
                 'lines', to_jsonb(array_remove(array[a ->> 'line1', a ->> 'line2'], null)),
                 'city', a ->> 'city', 'postal_code', a ->> 'postal_code',
                 'region', a ->> 'region', 'country', a ->> 'country')
        from (select o.shipping_address as a) s where a is not null) as shipping_address,
       (select jsonb_build_object(
                 'name', a ->> 'name',
                 'lines', to_jsonb(array_remove(array[a ->> 'line1', a ->> 'line2'], null)),
                 'city', a ->> 'city', 'postal_code', a ->> 'postal_code',
                 'region', a ->> 'region', 'country', a ->> 'country')
        from (select o.billing_address as a) s where a is not null) as billing_address,
       o.shipping_method_name,
       coalesce((
         select jsonb_agg(jsonb_build_object(
                  'sku', l.sku,
                  'name', p.name || coalesce(' (' || (
                      select string_agg(x.opt ->> 'value', ', ' order by x.ord)
                      from jsonb_array_elements(v.options) with ordinality as x (opt, ord)) || ')', ''),
                  'quantity', l.quantity,
                  'unit_price_minor', l.unit_price_minor,
                  'tax_rate_bp', l.tax_rate_bp,
                  'tax_minor', l.tax_minor,
                  'line_total_minor', l.unit_price_minor * l.quantity,
                  'discount_minor', l.discount_minor,
                  'id', l.id,
                  'charged_minor', coalesce(l.line_total_minor, l.unit_price_minor * l.quantity))
                order by l.position)
         from app.order_lines l
         join app.variants v on v.tenant_id = l.tenant_id and v.id = l.variant_id
         join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
         where l.tenant_id = o.tenant_id and l.order_id = o.id), '[]'::jsonb) as lines
from app.orders o
join app.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id
where o.tenant_id = $1 and o.id = $2
