-- One shipping method of the brand by code (another brand's code finds nothing).
select id, code, name, countries, rate_basis, bands, free_over_minor, active, created_at, updated_at
from app.shipping_methods
where tenant_id = $1 and code = $2
