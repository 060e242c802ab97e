-- Brand $1's categories, named in locale $2, falling back to the category's own name.
-- Row-level security picks the same brand; the concurrency test reads this endpoint for three
-- brands at once over shared connections.
select c.code, coalesce(t.name, c.name) as name
from app.categories c
left join app.category_translations t
  on t.tenant_id = c.tenant_id and t.category_id = c.id and t.locale = $2
where c.tenant_id = $1
order by c.code
