-- The notification's record, once per order and event: a later run finds the first run's row
-- (and its template and language) and inserts nothing.
insert into app.customer_notifications (tenant_id, order_id, event, template, language)
values ($1, $2, $3, $4, $5)
on conflict (tenant_id, order_id, event) do nothing
