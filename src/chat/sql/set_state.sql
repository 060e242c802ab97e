update app.conversations set state = $2 where id = $1
