-- The brand's next number of series $2: 'invoice', taken in the transaction that marks an
-- order paid, or 'credit_note', in the one that confirms a refund. The upsert locks the
-- brand's counter row of that series until COMMIT: concurrent payments (or refunds) of one
-- brand take their numbers in turn, and a transaction that rolls back takes its increment with
-- it, so the numbers have no gaps and none is given twice. issued_at is read once the row is
-- locked, so a higher number never carries an earlier time.
insert into app.invoice_counters as c (tenant_id, series, last_number)
values ($1, $2, 1)
on conflict (tenant_id, series) do update set last_number = c.last_number + 1
returning c.last_number as number, clock_timestamp() as issued_at
