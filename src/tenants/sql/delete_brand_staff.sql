-- Staff accounts that belong to the brand alone: a membership in it and in no other brand,
-- and not the company owner. They go with the brand (their sessions with them); accounts
-- that work for another brand too only lose the membership.
select u.id
from app.staff_users u
where not u.is_owner
  and exists (select from app.staff_memberships m where m.user_id = u.id and m.tenant_id = $1)
  and not exists (select from app.staff_memberships m where m.user_id = u.id and m.tenant_id <> $1)
order by u.id
