-- What is still to pick for paid and partially shipped orders, per zone and SKU: the units of
-- their sales (confirmed holds) that have not shipped yet, with each order's share, and where
-- and how each of those orders ships (the warehouse needs both; the address is the order's
-- snapshot).
with remaining as (
  select h.zone_id, h.variant_id, o.number, sum(h.quantity - h.shipped_quantity)::bigint as quantity
  from app.holds h
  join app.orders o on o.tenant_id = h.tenant_id and o.id = h.order_id
  where h.tenant_id = $1 and o.status in ('paid', 'partially_shipped') and h.status = 'confirmed'
    and h.shipped_quantity < h.quantity
  group by h.zone_id, h.variant_id, o.number
)
select z.code as zone_code, v.sku, p.name as product_name, sum(r.quantity)::bigint as quantity,
       array_agg(r.number order by r.number) as orders,
       array_agg(r.quantity order by r.number) as order_quantities,
       jsonb_agg(jsonb_build_object(
         'order', o.number, 'shipping_method_code', o.shipping_method_code,
         'shipping_method_name', o.shipping_method_name,
         'shipping_address', o.shipping_address) order by r.number) as deliveries
from remaining r
join app.orders o on o.tenant_id = $1 and o.number = r.number
join app.variants v on v.tenant_id = $1 and v.id = r.variant_id
join app.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
join app.zones z on z.id = r.zone_id
where ($2::text is null or z.code = $2)
group by z.code, v.sku, p.name
order by z.code, v.sku
