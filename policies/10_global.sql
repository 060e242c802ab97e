-- Global tables: the documented exceptions to tenant isolation. Each is on the global list in
-- policies/audit.sql with the same reason. No RLS here; access is narrowed by grants.

-- app.tenants: a brand has to be found from X-Tenant-ID or Host before any tenant is known,
-- so the API role reads every brand's public row. Holds no secrets. Writes are brand
-- onboarding and settings (owner endpoints); no DELETE: brands are deactivated, not removed.
-- Updates touch what the owner may change; the slug and SKU prefix (in URLs, object keys and
-- printed SKUs) are written once, at onboarding.
revoke update on app.tenants from {{api_role}};
grant select, insert, update (name, theme, features, is_active, updated_at) on app.tenants to {{api_role}};
grant select on app.tenants to {{analytics_role}};

-- app.tenant_domains: maps Host names to brands, read before a tenant is known.
-- Inside a brand's transaction only that brand's domains are visible or writable.
grant select, insert, delete on app.tenant_domains to {{api_role}};
call app.scope_global_table('app.tenant_domains', '{{api_role}}');
grant select on app.tenant_domains to {{analytics_role}};
