-- The product that media belong to, by number (any status: staff manage drafts too).
select id, number from app.products where number = $1
