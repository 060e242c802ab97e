-- The brand's tax rates in one country (at most one per class).
select tax_class, rate_bp
from app.tax_rates
where tenant_id = $1 and country = $2
