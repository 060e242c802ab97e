-- The outbox of business events (V17).

-- Each brand's event numbering: read and advanced by the writer's upsert.
call app.isolate_tenant_table('app.event_counters', '{{api_role}}');
grant select, insert, update on app.event_counters to {{api_role}};
-- The owner's company stream starts at every brand's last number.
grant select on app.event_counters to {{analytics_role}};

-- Events are append-only: written in the change's transaction, read back by the brand's
-- streams and polling clients. No UPDATE, no DELETE for the API role.
call app.isolate_tenant_table('app.events', '{{api_role}}');
grant select, insert on app.events to {{api_role}};
-- The owner's company stream reads every brand's events through the analytics role.
grant select on app.events to {{analytics_role}};
