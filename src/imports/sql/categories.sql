-- The brand's categories (row-level security picks the brand).
select id, code from app.categories
