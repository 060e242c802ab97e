-- Counts a failed login in the current window ($2 seconds long; a window that ended starts
-- over) and locks the email for a window once $3 failures are reached.
insert into app.login_throttle as t (email, failures, window_started_at)
values ($1, 1, now())
on conflict (email) do update
set failures = case when t.window_started_at < now() - make_interval(secs => $2)
                    then 1 else t.failures + 1 end,
    window_started_at = case when t.window_started_at < now() - make_interval(secs => $2)
                             then now() else t.window_started_at end
returning failures
