-- A staff member's live sessions.
select id, created_at, expires_at, token_hash = $2 as current
from app.staff_sessions
where user_id = $1 and revoked_at is null and expires_at > now()
order by created_at desc
