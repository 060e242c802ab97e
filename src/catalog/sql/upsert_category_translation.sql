-- Writes brand $1's category $2's (code) name $4 in locale $3. No row returned: no such
-- category.
insert into app.category_translations (tenant_id, category_id, locale, name)
select $1, c.id, $3, $4 from app.categories c where c.tenant_id = $1 and c.code = $2
on conflict (tenant_id, category_id, locale) do update
set name = excluded.name, updated_at = now()
returning updated_at
