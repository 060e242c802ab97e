select h.id, h.order_line_id, h.variant_id, h.zone_id, z.code as zone_code, h.quantity, h.status,
       h.shipped_quantity
from app.holds h
join app.zones z on z.id = h.zone_id
where h.tenant_id = $1 and h.order_id = $2
order by h.created_at, z.code
