-- The brand itself, last: every row referencing it is gone by now.
delete from app.tenants where id = $1
