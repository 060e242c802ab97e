-- The brand is the transaction's, never a parameter.
insert into app.staff_memberships (user_id, tenant_id, role)
values ($1, app.current_tenant(), $2)
on conflict (user_id, tenant_id) do update set role = excluded.role
returning (xmax = 0) as created
