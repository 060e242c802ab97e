-- Customer notifications (V23).

-- Which events a brand sends and with which templates: read by the order transactions that
-- queue a notification and by the job; written by brand.settings staff.
call app.isolate_tenant_table('app.notification_settings', '{{api_role}}');
grant select, insert, update on app.notification_settings to {{api_role}};

-- The sent-notification record: inserted and advanced by the job; never deleted (it is what
-- keeps a notification from being sent twice). No analytics grant: nothing cross-brand reads it.
call app.isolate_tenant_table('app.customer_notifications', '{{api_role}}');
grant select, insert, update on app.customer_notifications to {{api_role}};
