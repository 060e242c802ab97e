select id, code, name, city, region, priority, is_active from app.zones where code = $1
