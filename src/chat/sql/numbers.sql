-- Every brand's WhatsApp number, for the company owner (proof null: claimed before numbers
-- had to be proved; routes nothing until assigned or verified).
select n.phone_number_id, t.slug, n.proof, n.proved_at
from app.whatsapp_numbers n
join app.tenants t on t.id = n.tenant_id
order by t.slug
