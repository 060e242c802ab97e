update app.staff_memberships set role = $2
where user_id = $1 and tenant_id = app.current_tenant()
