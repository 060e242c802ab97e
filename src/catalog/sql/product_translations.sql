-- The translations of brand $1's product number $2, by locale.
select t.locale, t.name, t.description, t.option_labels, t.updated_at
from app.product_translations t
join app.products p on p.tenant_id = t.tenant_id and p.id = t.product_id
where t.tenant_id = $1 and p.number = $2
order by t.locale
