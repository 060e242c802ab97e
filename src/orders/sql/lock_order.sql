-- First in the lock order: the order row, then its stock rows, then its holds.
select id, number, status, currency, total_minor, preferred_zone_id, holds_expire_at,
       holds_expire_at <= now() as holds_expired
from app.orders
where tenant_id = $1 and ($2::uuid is null or id = $2) and ($3::int is null or number = $3)
for update
