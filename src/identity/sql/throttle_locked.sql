-- Seconds until a throttled email may try again, if it is locked now.
select ceil(extract(epoch from locked_until - now()))::bigint as retry_after_secs
from app.login_throttle
where email = $1 and locked_until > now()
