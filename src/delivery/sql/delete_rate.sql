-- Removes the brand's rate for (country, class): no tax for that pair from now on.
delete from app.tax_rates where tenant_id = $1 and country = $2 and tax_class = $3
