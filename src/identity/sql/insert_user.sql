-- A staff account; never the owner's (`is_owner` is not the API role's to write).
insert into app.staff_users (email, display_name, password_hash)
values ($1, $2, $3)
returning id
