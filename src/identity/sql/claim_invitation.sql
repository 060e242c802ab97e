-- Uses an open invitation of the transaction's brand: once, before it expires, and only for
-- the email it names when $2 is given (acceptance by a signed-in account). The row lock makes
-- two concurrent acceptances of one token one success.
update app.staff_invitations set accepted_at = now()
where token_hash = $1
  and ($2::text is null or email = $2)
  and accepted_at is null and revoked_at is null and expires_at > now()
returning id, email, role
