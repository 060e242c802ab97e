select id, is_owner
from app.staff_users
where email = $1
