select id from app.tenants order by id
