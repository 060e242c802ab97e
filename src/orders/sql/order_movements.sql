select m.id, v.sku, z.code as zone_code, m.kind, m.on_hand_delta, m.reserved_delta, m.reason, m.at
from app.stock_movements m
join app.variants v on v.tenant_id = m.tenant_id and v.id = m.variant_id
join app.zones z on z.id = m.zone_id
where m.tenant_id = $1 and m.order_id = $2
order by m.id
