-- Brand $1's categories.
select id, code from app.categories where tenant_id = $1
