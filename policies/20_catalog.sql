-- Catalog tables: tenant-owned, isolated by the canonical policy.

grant usage on schema ext to {{api_role}}, {{analytics_role}};

call app.isolate_tenant_table('app.categories', '{{api_role}}');
grant select, insert, update, delete on app.categories to {{api_role}};
grant select on app.categories to {{analytics_role}};

call app.isolate_tenant_table('app.product_counters', '{{api_role}}');
grant select, insert, update on app.product_counters to {{api_role}};

-- Products are archived, never deleted: their SKUs are on labels and in order history.
call app.isolate_tenant_table('app.products', '{{api_role}}');
grant select, insert, update on app.products to {{api_role}};
grant select on app.products to {{analytics_role}};

-- Variants are deactivated, never deleted, for the same reason.
call app.isolate_tenant_table('app.variants', '{{api_role}}');
grant select, insert, update on app.variants to {{api_role}};
grant select on app.variants to {{analytics_role}};

grant execute on function app.variants_sku_immutable(),
  app.products_identity_guard() to {{api_role}};
