select m.id, z.code as zone_code, m.kind, m.on_hand_delta, m.reserved_delta, m.reason,
       o.number as order_number, m.user_id, m.role, m.at
from app.stock_movements m
join app.variants v on v.tenant_id = m.tenant_id and v.id = m.variant_id
join app.zones z on z.id = m.zone_id
left join app.orders o on o.tenant_id = m.tenant_id and o.id = m.order_id
where m.tenant_id = $1 and v.sku = $2
order by m.id desc
limit $3
