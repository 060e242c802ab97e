-- The staff of the transaction's brand.
select u.id, u.email, u.display_name, m.role, m.created_at, u.disabled_at is not null as disabled
from app.staff_memberships m
join app.staff_users u on u.id = m.user_id
where m.tenant_id = app.current_tenant()
order by u.email
