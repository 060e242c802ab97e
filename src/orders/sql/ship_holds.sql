-- Counts units of confirmed holds (units sold from one stock row) as shipped. The table's
-- check (holds_shipped_within_sold) refuses shipping more than was sold, or from a hold that
-- was never a sale, whatever the caller computed.
update app.holds h
set shipped_quantity = h.shipped_quantity + s.quantity
from unnest($2::uuid[], $3::int[]) as s(id, quantity)
where h.tenant_id = $1 and h.id = s.id and h.status = 'confirmed'
