-- The brands a staff member works in: every brand for the owner, else their memberships.
select t.slug, t.name, t.is_active,
       case when $2 then 'owner' else m.role end as role
from app.tenants t
left join app.staff_memberships m on m.tenant_id = t.id and m.user_id = $1
where $2 or m.user_id is not null
order by t.slug
