-- The brand's invoice details; no row: none set (the defaults).
select legal_name, address_lines, tax_id, logo_key
from app.invoice_settings
where tenant_id = $1
