-- Outbound webhooks (V22).

-- Endpoints: staff with brand.settings create, list, change and delete them; the fan-out reads
-- the active ones in the event's transaction; deliveries count failures and disable them.
call app.isolate_tenant_table('app.webhook_endpoints', '{{api_role}}');
grant select, insert, update, delete on app.webhook_endpoints to {{api_role}};

-- Deliveries: written by the fan-out, updated by the delivery job and redeliveries, read by
-- the delivery log, deleted by the pruning job (and by an endpoint's deletion).
call app.isolate_tenant_table('app.webhook_deliveries', '{{api_role}}');
grant select, insert, update, delete on app.webhook_deliveries to {{api_role}};
