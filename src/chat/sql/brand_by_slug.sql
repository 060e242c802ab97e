-- A brand's id by slug, active or not (the company owner assigns numbers to any brand).
select id from app.tenants where slug = $1
