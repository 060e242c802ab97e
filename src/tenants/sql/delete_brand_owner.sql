-- The company owner who orders a deletion: an active owner account, with its password hash
-- to check the password given.
select id, password_hash from app.staff_users
where email = $1 and is_owner and disabled_at is null
