-- A held use of a promotion by an order.
insert into app.promotion_uses (tenant_id, promotion_id, order_id, email, discount_minor)
values ($1, $2, $3, $4, $5)
