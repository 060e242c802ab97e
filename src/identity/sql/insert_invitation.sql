-- A new invitation to the transaction's brand; earlier open invitations of the same email to
-- this brand are revoked first by revoke_open_invitations.sql, so only the newest token works.
insert into app.staff_invitations (tenant_id, email, role, token_hash, invited_by, expires_at)
values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
returning id, created_at, expires_at
