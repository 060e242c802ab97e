-- Zones by code (a global table: shared warehouse space).
select id, code, is_active from app.zones where code = any($1::text[])
