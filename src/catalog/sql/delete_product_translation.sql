-- Removes product number $1's translation into locale $2.
delete from app.product_translations t
using app.products p
where p.tenant_id = t.tenant_id and p.id = t.product_id and p.number = $1 and t.locale = $2
