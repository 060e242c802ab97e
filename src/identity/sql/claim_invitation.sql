-- Uses an open invitation of the transaction's brand ($1): once, before it expires, and only for
-- the email it names when $3 is given (acceptance by a signed-in account). The row lock makes
-- two concurrent acceptances of one token one success.
update app.staff_invitations set accepted_at = now()
where tenant_id = $1 and token_hash = $2
  and ($3::text is null or email = $3)
  and accepted_at is null and revoked_at is null and expires_at > now()
returning id, email, role
