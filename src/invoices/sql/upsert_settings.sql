-- Writes the whole, already merged and checked, details row of the brand.
insert into app.invoice_settings as s (tenant_id, legal_name, address_lines, tax_id, logo_key)
values ($1, $2, $3, $4, $5)
on conflict (tenant_id) do update
set legal_name = excluded.legal_name,
    address_lines = excluded.address_lines,
    tax_id = excluded.tax_id,
    logo_key = excluded.logo_key,
    updated_at = now()
