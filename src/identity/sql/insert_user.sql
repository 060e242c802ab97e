insert into app.staff_users (email, display_name, password_hash, is_owner)
values ($1, $2, $3, $4)
returning id
