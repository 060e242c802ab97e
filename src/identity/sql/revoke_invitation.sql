update app.staff_invitations set revoked_at = now()
where tenant_id = $1 and id = $2
  and accepted_at is null and revoked_at is null and expires_at > now()
