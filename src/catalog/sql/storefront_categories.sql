-- Deliberately no tenant filter: row-level security alone decides which brand's rows appear.
-- The concurrency test reads this endpoint for three brands at once to prove that it does.
-- Names in locale $1, falling back to the category's own name.
select c.code, coalesce(t.name, c.name) as name
from app.categories c
left join app.category_translations t
  on t.tenant_id = c.tenant_id and t.category_id = c.id and t.locale = $1
order by c.code
