select password_hash from app.staff_users where id = $1 and disabled_at is null
