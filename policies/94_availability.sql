-- Maintained availability per variant (V32).

-- Written only by the triggers on app.stock and app.holds, which run with the rights of the
-- transaction that changes stock or holds: the API role inserts and updates the rows of its
-- brand; nothing deletes them but a brand's deletion (the administrative connection). The
-- analytics role reads them like the stock rows they sum.
call app.isolate_tenant_table('app.availability', '{{api_role}}');
grant select, insert, update on app.availability to {{api_role}};
grant select on app.availability to {{analytics_role}};
