-- The order is paid: its uses (held, or released and just taken again) are consumed.
update app.promotion_uses
set status = 'consumed', updated_at = now()
where tenant_id = $1 and order_id = $2 and status in ('held', 'released')
