-- Returns and refunds (V28).

-- Returns: requested by support or a manager, decided by a manager, received by the warehouse
-- (each an update of the same row under the order's lock); never deleted (a return is
-- history). No analytics grant: nothing cross-brand reads them.
call app.isolate_tenant_table('app.returns', '{{api_role}}');
grant select, insert, update on app.returns to {{api_role}};

-- A return's lines: inserted with the return, split into resellable and written off at
-- reception.
call app.isolate_tenant_table('app.return_lines', '{{api_role}}');
grant select, insert, update on app.return_lines to {{api_role}};

-- Refunds: inserted by a manager or a cancellation, settled by the provider's callback (an
-- update); never deleted. Owner analytics read confirmed refunds for net revenue.
call app.isolate_tenant_table('app.refunds', '{{api_role}}');
grant select, insert, update on app.refunds to {{api_role}};
grant select on app.refunds to {{analytics_role}};

-- What each refund pays back per order line: append-only, written with its refund.
call app.isolate_tenant_table('app.refund_lines', '{{api_role}}');
grant select, insert on app.refund_lines to {{api_role}};
