-- The translations of brand $1's category $2 (code), by locale.
select t.locale, t.name, t.updated_at
from app.category_translations t
join app.categories c on c.tenant_id = t.tenant_id and c.id = t.category_id
where t.tenant_id = $1 and c.code = $2
order by t.locale
