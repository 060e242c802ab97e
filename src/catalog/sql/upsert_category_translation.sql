-- Writes category $1's (code) name $3 in locale $2. No row returned: no such category.
insert into app.category_translations (category_id, locale, name)
select c.id, $2, $3 from app.categories c where c.code = $1
on conflict (tenant_id, category_id, locale) do update
set name = excluded.name, updated_at = now()
returning updated_at
