-- Reserves $2 consecutive product numbers of brand $1 in one statement and returns the last of
-- them; the new numbers are (last - $2 + 1) .. last. The upsert's row lock serialises
-- concurrent creations in one brand, as for single products.
insert into app.product_counters as c (tenant_id, last_number) values ($1, $2)
on conflict (tenant_id) do update set last_number = c.last_number + $2
returning last_number
