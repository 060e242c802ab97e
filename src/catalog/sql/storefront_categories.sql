-- Deliberately no tenant filter: row-level security alone decides which brand's rows appear.
-- The concurrency test reads this endpoint for three brands at once to prove that it does.
select code, name
from app.categories
order by code
