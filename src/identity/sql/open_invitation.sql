-- Whether a token's invitation is open in the transaction's brand (checked before a password is
-- hashed, so unknown tokens cost no hashing).
select exists (
  select from app.staff_invitations
  where tenant_id = $1 and token_hash = $2
    and accepted_at is null and revoked_at is null and expires_at > now()
)
