-- Imports and product media: tenant-owned, isolated by the canonical policy.

-- Import jobs and their reports. No DELETE: the record of what an import did stays.
call app.isolate_tenant_table('app.imports', '{{api_role}}');
grant select, insert, update on app.imports to {{api_role}};
grant select on app.imports to {{analytics_role}};

-- Product images: staff add, replace and remove them; the storefront reads them.
call app.isolate_tenant_table('app.product_media', '{{api_role}}');
grant select, insert, update, delete on app.product_media to {{api_role}};
grant select on app.product_media to {{analytics_role}};
