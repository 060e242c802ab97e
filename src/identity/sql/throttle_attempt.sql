-- Counts a login attempt for an email ($1) before its password is checked, so concurrent
-- guesses cannot all slip under the limit: the upsert's row lock puts them in order, and the
-- attempt that reaches the limit locks the email (throttle_lock.sql) before its transaction
-- commits. While the email is locked an attempt is not counted; a window ($2 seconds) that
-- ended, or a lock that ran out, starts the count over. Returns this attempt's number in its
-- window and, when the email is locked, the seconds left.
insert into app.login_throttle as t (email, failures, window_started_at)
values ($1, 1, now())
on conflict (email) do update
set failures = case when t.locked_until > now() then t.failures
                    when t.locked_until <= now()
                      or t.window_started_at < now() - make_interval(secs => $2) then 1
                    else t.failures + 1 end,
    window_started_at = case when t.locked_until > now() then t.window_started_at
                             when t.locked_until <= now()
                               or t.window_started_at < now() - make_interval(secs => $2)
                               then now()
                             else t.window_started_at end,
    locked_until = case when t.locked_until > now() then t.locked_until end
returning failures,
          case when locked_until > now()
               then ceil(extract(epoch from locked_until - now()))::bigint end as locked_for_secs
