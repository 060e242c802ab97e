insert into app.stock (tenant_id, variant_id, zone_id) values ($1, $2, $3)
on conflict (tenant_id, variant_id, zone_id) do nothing
