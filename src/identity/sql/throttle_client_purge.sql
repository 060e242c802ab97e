-- Client rows that no longer matter (not locked, window of $1 seconds over), as for emails.
delete from app.login_throttle_clients
where (locked_until is null or locked_until <= now())
  and window_started_at < now() - make_interval(secs => $1)
