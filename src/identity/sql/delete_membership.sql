delete from app.staff_memberships
where user_id = $1 and tenant_id = app.current_tenant()
