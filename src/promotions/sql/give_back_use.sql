-- Gives back one use taken in this transaction (a payment that could not take them all).
update app.promotions
set uses_count = uses_count - 1
where tenant_id = $1 and id = $2 and uses_count > 0
