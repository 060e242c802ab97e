-- Disables ($2 true) or enables an account. The company owner's account is never disabled
-- through the API (the owner would lock the company out).
update app.staff_users
set disabled_at = case when $2 then coalesce(disabled_at, now()) end
where id = $1 and not is_owner
returning id
