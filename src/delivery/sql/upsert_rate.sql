-- Sets the brand's rate for (country, class): a new row or the existing one changed.
insert into app.tax_rates (country, tax_class, rate_bp)
values ($2, $3, $4)
on conflict (tenant_id, country, tax_class)
do update set rate_bp = excluded.rate_bp, updated_at = now()
where app.tax_rates.tenant_id = $1
returning country, tax_class, rate_bp, updated_at
