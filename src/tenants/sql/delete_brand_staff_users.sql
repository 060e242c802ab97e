-- Removes the brand's own staff accounts (delete_brand_staff.sql); their sessions cascade.
delete from app.staff_users where id = any ($1) and not is_owner
