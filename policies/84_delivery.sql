-- Shipping methods and tax rates (V24).

-- Shipping methods: staff with brand.settings create, list, change and delete them; the
-- storefront's method list and checkout read them in the brand's transaction.
call app.isolate_tenant_table('app.shipping_methods', '{{api_role}}');
grant select, insert, update, delete on app.shipping_methods to {{api_role}};

-- Tax rates: staff with brand.settings set, list and delete them; checkout reads them.
call app.isolate_tenant_table('app.tax_rates', '{{api_role}}');
grant select, insert, update, delete on app.tax_rates to {{api_role}};
