-- Ends every live session of an account except the one whose hash is $2 (none when null).
update app.staff_sessions set revoked_at = now()
where user_id = $1 and revoked_at is null and expires_at > now()
  and ($2::bytea is null or token_hash <> $2)
