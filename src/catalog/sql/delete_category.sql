-- Refused by products_category_fkey while any product uses the category.
delete from app.categories where code = $1
