-- The brand's tax rates (by class) in a checkout's tax country: the shipping address's ($2),
-- else the brand's tax_origin_country; neither gives no rates (no tax).
select tax_class, rate_bp
from app.tax_rates
where tenant_id = $1
  and country = coalesce($2::text, (select s.tax_origin_country from app.brand_settings s
                                    where s.tenant_id = $1))
