insert into app.returns (tenant_id, order_id, reason) values ($1, $2, $3)
returning id
