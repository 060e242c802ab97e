update app.staff_users set password_hash = $2
where id = $1 and disabled_at is null
