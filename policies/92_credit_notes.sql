-- Credit notes (V30).

-- Inserted by the transaction that confirms a refund, marked rendered by the job; never
-- deleted (an issued credit-note number stays issued). The series' counter rows are
-- app.invoice_counters (policies/90_invoices.sql). No analytics grant.
call app.isolate_tenant_table('app.credit_notes', '{{api_role}}');
grant select, insert, update on app.credit_notes to {{api_role}};
