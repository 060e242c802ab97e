-- A new shipping method of the transaction's brand (tenant_id from the default; RLS checks it).
insert into app.shipping_methods (code, name, countries, rate_basis, bands, free_over_minor, active)
values ($1, $2, $3::text[], $4, $5::jsonb, $6, $7)
returning id, code, name, countries, rate_basis, bands, free_over_minor, active, created_at, updated_at
