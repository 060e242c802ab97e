-- The brand's active shipping methods (the storefront's list and checkout filter them by
-- country and band).
select id, code, name, countries, rate_basis, bands, free_over_minor, active, created_at, updated_at
from app.shipping_methods
where tenant_id = $1 and active
order by code
