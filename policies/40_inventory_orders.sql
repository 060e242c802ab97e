-- Inventory, orders and the job queue.

-- app.zones: global. Shared physical space: every brand's stock rows point at zones, and the
-- owner manages them. Readable by every brand.
revoke update on app.zones from {{api_role}};
grant select, insert, update (name, city, region, priority, is_active) on app.zones to {{api_role}};
grant select on app.zones to {{analytics_role}};

call app.isolate_tenant_table('app.brand_settings', '{{api_role}}');
grant select, insert, update on app.brand_settings to {{api_role}};
-- Analytics gets no grant here: the table holds the payment webhook secret.

call app.isolate_tenant_table('app.stock', '{{api_role}}');
grant select, insert, update on app.stock to {{api_role}};
grant select on app.stock to {{analytics_role}};

-- The ledger is append-only.
call app.isolate_tenant_table('app.stock_movements', '{{api_role}}');
grant select, insert on app.stock_movements to {{api_role}};
grant select on app.stock_movements to {{analytics_role}};

call app.isolate_tenant_table('app.customers', '{{api_role}}');
grant select, insert, update on app.customers to {{api_role}};
grant select on app.customers to {{analytics_role}};

call app.isolate_tenant_table('app.order_counters', '{{api_role}}');
grant select, insert, update on app.order_counters to {{api_role}};

call app.isolate_tenant_table('app.orders', '{{api_role}}');
grant select, insert, update on app.orders to {{api_role}};
grant select on app.orders to {{analytics_role}};

call app.isolate_tenant_table('app.order_lines', '{{api_role}}');
grant select, insert on app.order_lines to {{api_role}};
grant select on app.order_lines to {{analytics_role}};

call app.isolate_tenant_table('app.holds', '{{api_role}}');
grant select, insert, update on app.holds to {{api_role}};
grant select on app.holds to {{analytics_role}};

call app.isolate_tenant_table('app.payment_events', '{{api_role}}');
grant select, insert on app.payment_events to {{api_role}};

-- app.jobs: global, the queue of references (brand, kind, ref); holds no tenant data. Workers
-- claim across brands before opening the job's brand transaction. Inside a brand's
-- transaction the trigger pins a new job to that brand.
grant select, insert, update, delete on app.jobs to {{api_role}};
-- ...and only that brand's jobs are visible or writable there.
call app.scope_global_table('app.jobs', '{{api_role}}');
grant select on app.jobs to {{analytics_role}};
grant execute on function app.jobs_stamp() to {{api_role}};

-- Availability, the one definition (sql/V11__availability.sql). The view reads with the
-- caller's rights (security_invoker): the API role sees its brand, analytics every brand.
grant select on app.available_units to {{api_role}}, {{analytics_role}};
grant execute on function app.variant_availability(uuid[], uuid), app.available(uuid, uuid),
                          app.product_availability(uuid[], uuid)
  to {{api_role}}, {{analytics_role}};
