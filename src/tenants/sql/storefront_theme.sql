-- The brand of the current transaction, by its tenant setting alone: with no tenant set this
-- returns nothing.
select slug, name, currency, theme
from app.tenants
where id = (select app.current_tenant())
