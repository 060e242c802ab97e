update app.categories set name = $2 where code = $1
