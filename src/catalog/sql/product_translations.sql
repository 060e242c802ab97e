-- The translations of the brand's product number $1, by locale.
select t.locale, t.name, t.description, t.option_labels, t.updated_at
from app.product_translations t
join app.products p on p.tenant_id = t.tenant_id and p.id = t.product_id
where p.number = $1
order by t.locale
