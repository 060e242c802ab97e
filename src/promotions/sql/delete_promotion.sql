-- Deletes a promotion; a used one is kept by promotion_uses' foreign key (a 409).
delete from app.promotions where tenant_id = $1 and id = $2
