-- A new shipping method of brand $1 (the transaction's; RLS checks it).
insert into app.shipping_methods
  (tenant_id, code, name, countries, rate_basis, bands, free_over_minor, active)
values ($1, $2, $3, $4::text[], $5, $6::jsonb, $7, $8)
returning id, code, name, countries, rate_basis, bands, free_over_minor, active, created_at, updated_at
