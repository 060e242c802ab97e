select id, code, name, city, region, priority, is_active from app.zones order by priority, code
