select r.id, o.number as order_number, r.status, r.reason, r.decision_note, z.code as zone_code,
       r.requested_by, r.decided_by, r.received_by, r.created_at, r.decided_at, r.received_at
from app.returns r
join app.orders o on o.tenant_id = r.tenant_id and o.id = r.order_id
left join app.zones z on z.id = r.zone_id
where r.tenant_id = $1 and ($2::uuid is null or r.id = $2) and ($3::uuid is null or r.order_id = $3)
order by r.created_at, r.id
