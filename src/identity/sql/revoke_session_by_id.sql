update app.staff_sessions set revoked_at = now()
where id = $1 and user_id = $2 and revoked_at is null and expires_at > now()
