update app.login_throttle_clients
set locked_until = now() + make_interval(secs => $2)
where client = $1
