-- Catalog tables: tenant-owned, isolated by the canonical policy.

call app.isolate_tenant_table('app.categories', '{{api_role}}');
grant select, insert, update, delete on app.categories to {{api_role}};
grant select on app.categories to {{analytics_role}};
