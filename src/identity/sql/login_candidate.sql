select id, password_hash
from app.staff_users
where email = $1 and disabled_at is null
