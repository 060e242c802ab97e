-- The brand's tax rates, by country and class.
select country, tax_class, rate_bp, updated_at
from app.tax_rates
where tenant_id = $1
order by country, tax_class
