update app.conversations set language = $2 where id = $1 and language is distinct from $2
