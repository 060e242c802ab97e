-- Brand $1's category $2, named $3: inserted or renamed.
insert into app.categories (tenant_id, code, name)
values ($1, $2, $3)
on conflict (tenant_id, code) do update set name = excluded.name
returning id
