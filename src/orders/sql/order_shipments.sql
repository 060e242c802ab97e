-- An order's shipments, in the order they left, with the zone they left from.
select s.id, z.code as zone_code, s.carrier, s.tracking_number, s.tracking_url, s.created_by,
       s.shipped_at
from app.shipments s
join app.zones z on z.id = s.zone_id
where s.tenant_id = $1 and s.order_id = $2
order by s.shipped_at, s.id
