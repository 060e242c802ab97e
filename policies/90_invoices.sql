-- Invoices (V26).

-- The seller's legal details: read by the render job and staff, written by brand.settings
-- staff. No analytics grant: nothing cross-brand reads it.
call app.isolate_tenant_table('app.invoice_settings', '{{api_role}}');
grant select, insert, update on app.invoice_settings to {{api_role}};

-- The number series: inserted (a brand's first invoice) and incremented by the paying
-- transaction; never deleted (a number is never given out twice).
call app.isolate_tenant_table('app.invoice_counters', '{{api_role}}');
grant select, insert, update on app.invoice_counters to {{api_role}};

-- The invoices: inserted by the paying transaction, marked rendered by the job; never deleted
-- (an issued invoice number stays issued).
call app.isolate_tenant_table('app.invoices', '{{api_role}}');
grant select, insert, update on app.invoices to {{api_role}};
