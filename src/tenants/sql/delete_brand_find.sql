-- The brand named by slug, for a dry run.
select id, slug, name from app.tenants where slug = $1
