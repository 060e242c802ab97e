-- Throttle rows that no longer matter: not locked, and their window ($1 seconds) over (the next
-- attempt for such an email would start the count again anyway). Unknown emails leave rows too,
-- so without this the table grows with every guessed address.
delete from app.login_throttle
where (locked_until is null or locked_until <= now())
  and window_started_at < now() - make_interval(secs => $1)
