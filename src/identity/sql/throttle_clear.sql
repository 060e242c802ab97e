delete from app.login_throttle where email = $1
