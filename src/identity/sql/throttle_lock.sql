update app.login_throttle
set locked_until = now() + make_interval(secs => $2)
where email = $1
