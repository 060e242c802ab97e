insert into app.zones (code, name, city, region, priority, is_active)
values ($1, $2, $3, $4, $5, $6)
returning id
