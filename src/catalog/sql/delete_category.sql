-- Refused by products_category_fkey while any product uses the category.
delete from app.categories where tenant_id = $1 and code = $2
