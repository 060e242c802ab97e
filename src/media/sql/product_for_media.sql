-- The product of brand $1 that media belong to, by number $2 (any status: staff manage drafts
-- too).
select id, number from app.products where tenant_id = $1 and number = $2
