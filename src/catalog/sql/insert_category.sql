insert into app.categories (tenant_id, code, name) values ($1, $2, $3)
returning id
