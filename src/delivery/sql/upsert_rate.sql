-- Sets brand $1's rate for (country, class): a new row or the existing one changed.
insert into app.tax_rates as r (tenant_id, country, tax_class, rate_bp)
values ($1, $2, $3, $4)
on conflict (tenant_id, country, tax_class)
do update set rate_bp = excluded.rate_bp, updated_at = now()
where r.tenant_id = $1
returning country, tax_class, rate_bp, updated_at
