-- Whether an email already belongs to a member of the transaction's brand.
select exists (
  select from app.staff_memberships m
  join app.staff_users u on u.id = m.user_id
  where u.email = $1 and m.tenant_id = app.current_tenant()
)
