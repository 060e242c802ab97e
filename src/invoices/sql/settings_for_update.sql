-- The details a change starts from, locked so that two concurrent changes apply one after
-- the other (each merges into what the other wrote).
select legal_name, address_lines, tax_id, logo_key
from app.invoice_settings
where tenant_id = $1
for update
