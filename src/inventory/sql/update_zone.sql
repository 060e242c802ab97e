update app.zones
set name = coalesce($2, name), city = coalesce($3, city), region = coalesce($4, region),
    priority = coalesce($5, priority), is_active = coalesce($6, is_active)
where code = $1
