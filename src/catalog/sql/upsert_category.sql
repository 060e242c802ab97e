-- tenant_id is not named: it defaults to the transaction's tenant, and the policy's WITH CHECK
-- refuses any other.
insert into app.categories (code, name)
values ($1, $2)
on conflict (tenant_id, code) do update set name = excluded.name
returning id
