-- The translations of the brand's category $1 (code), by locale.
select t.locale, t.name, t.updated_at
from app.category_translations t
join app.categories c on c.tenant_id = t.tenant_id and c.id = t.category_id
where c.code = $1
order by t.locale
