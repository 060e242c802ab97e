insert into app.categories (code, name) values ($1, $2)
returning id
