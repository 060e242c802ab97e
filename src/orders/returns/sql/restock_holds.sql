-- A paid order cancelled before it shipped: its sales (confirmed holds, nothing shipped) are
-- reversed; the holds end as released.
update app.holds
set status = 'released', ended_at = now()
where tenant_id = $1 and order_id = $2 and status = 'confirmed' and shipped_quantity = 0
returning id, variant_id, zone_id, quantity
