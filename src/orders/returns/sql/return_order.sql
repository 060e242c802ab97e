-- Which order a return belongs to (to lock the order first).
select order_id from app.returns where tenant_id = $1 and id = $2
