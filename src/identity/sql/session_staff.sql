-- The staff member behind a live token, with every brand membership, in one round trip.
select u.id, u.email, u.display_name, u.is_owner, s.expires_at,
       coalesce(array_agg(m.tenant_id) filter (where m.tenant_id is not null), '{}') as tenant_ids,
       coalesce(array_agg(m.role) filter (where m.tenant_id is not null), '{}') as roles
from app.staff_sessions s
join app.staff_users u on u.id = s.user_id
left join app.staff_memberships m on m.user_id = u.id
where s.token_hash = $1
  and s.revoked_at is null
  and s.expires_at > now()
  and u.disabled_at is null
group by u.id, s.expires_at
