update app.staff_invitations set revoked_at = now()
where id = $1 and accepted_at is null and revoked_at is null and expires_at > now()
