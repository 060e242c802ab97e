insert into app.order_counters as c (last_number) values (1)
on conflict (tenant_id) do update set last_number = c.last_number + 1
returning last_number
