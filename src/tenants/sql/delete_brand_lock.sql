-- The brand to delete, locked: FOR UPDATE conflicts with the FOR KEY SHARE lock every
-- insert into a table referencing app.tenants takes, so no new row of the brand can be
-- written until the deletion commits (and then its foreign key check fails).
select id, slug, name from app.tenants where slug = $1 for update
