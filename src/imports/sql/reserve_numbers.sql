-- Reserves $1 consecutive product numbers in one statement and returns the last of them; the
-- new numbers are (last - $1 + 1) .. last. The upsert's row lock serialises concurrent
-- creations in one brand, as for single products.
insert into app.product_counters as c (last_number) values ($1)
on conflict (tenant_id) do update set last_number = c.last_number + $1
returning last_number
