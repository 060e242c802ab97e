-- A brand's slug by id (for the company owner: which brand holds a number).
select slug from app.tenants where id = $1
