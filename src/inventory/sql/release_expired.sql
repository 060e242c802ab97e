-- Ends the expired, still-active holds on the given variants' (locked) stock rows: an expired
-- hold never blocks a new reservation, sweeper or no sweeper.
update app.holds
set status = 'expired', ended_at = now()
where tenant_id = $1 and status = 'active' and expires_at <= now() and variant_id = any($2::uuid[])
returning id, order_id, variant_id, zone_id, quantity
