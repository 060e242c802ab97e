-- The transaction's brand's invitations, newest first (the policy keeps other brands' out).
select id, email, role, created_at, expires_at, accepted_at, revoked_at
from app.staff_invitations
where tenant_id = $1
order by created_at desc, id
limit $2
