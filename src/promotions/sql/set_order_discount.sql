-- The order's discount and the snapshot of the promotions applied.
update app.orders
set discount_minor = $3, promotions = $4::jsonb
where tenant_id = $1 and id = $2
