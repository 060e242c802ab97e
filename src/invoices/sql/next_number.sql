-- The brand's next invoice number, taken in the transaction that marks an order paid. The
-- upsert locks the brand's counter row until COMMIT: concurrent payments of one brand take
-- their numbers in turn, and a payment that rolls back takes its increment with it, so the
-- numbers have no gaps and none is given twice. issued_at is read once the row is locked, so
-- a higher number never carries an earlier time.
insert into app.invoice_counters as c (tenant_id, series, last_number)
values ($1, 'invoice', 1)
on conflict (tenant_id, series) do update set last_number = c.last_number + 1
returning c.last_number as number, clock_timestamp() as issued_at
