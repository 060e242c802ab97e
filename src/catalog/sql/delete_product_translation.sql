-- Removes brand $1's product number $2's translation into locale $3.
delete from app.product_translations t
using app.products p
where t.tenant_id = $1 and p.tenant_id = t.tenant_id and p.id = t.product_id and p.number = $2
  and t.locale = $3
