-- The brand's shipping methods, by code.
select id, code, name, countries, rate_basis, bands, free_over_minor, active, created_at, updated_at
from app.shipping_methods
where tenant_id = $1
order by code
