insert into app.stock (variant_id, zone_id) values ($1, $2)
on conflict (tenant_id, variant_id, zone_id) do nothing
