-- A new invitation to the transaction's brand; earlier open invitations of the same email to
-- this brand are revoked first by revoke_open_invitations.sql, so only the newest token works.
insert into app.staff_invitations (email, role, token_hash, invited_by, expires_at)
values ($1, $2, $3, $4, now() + make_interval(secs => $5))
returning id, created_at, expires_at
