-- What to pick for paid orders, per zone and SKU, with where each of those orders ships and
-- how (the warehouse needs both; the address is the order's snapshot).
select z.code as zone_code, v.sku, p.name as product_name, sum(h.quantity)::bigint as quantity,
       array_agg(distinct o.number order by o.number) as orders,
       jsonb_agg(distinct jsonb_build_object(
         'order', o.number, 'shipping_method_code', o.shipping_method_code,
         'shipping_method_name', o.shipping_method_name,
         'shipping_address', o.shipping_address)) as deliveries
from app.holds h
join app.orders o on o.tenant_id = h.tenant_id and o.id = h.order_id
join app.variants v on v.tenant_id = h.tenant_id and v.id = h.variant_id
join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
join app.zones z on z.id = h.zone_id
where o.status = 'paid' and h.status = 'confirmed' and ($1::text is null or z.code = $1)
group by z.code, v.sku, p.name
order by z.code, v.sku
