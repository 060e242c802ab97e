select id, code, name from app.categories where code = $1
