-- Brand $1's next product number. The upsert's row lock serialises concurrent creations in
-- one brand; other brands are not affected.
insert into app.product_counters as c (tenant_id, last_number) values ($1, 1)
on conflict (tenant_id) do update set last_number = c.last_number + 1
returning last_number
