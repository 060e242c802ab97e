-- Gives a client address ($1) back the attempt it was just charged, when that attempt was not
-- a failed password check (it succeeded, or the email was locked and nothing was checked): the
-- client's count is of failures, so an office signing in from one address is never locked by
-- its own successes. A lock already set stays.
update app.login_throttle_clients
set failures = greatest(failures - 1, 0)
where client = $1 and locked_until is null
