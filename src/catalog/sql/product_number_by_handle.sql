select number from app.products where handle = $1
