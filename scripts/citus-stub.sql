-- Stand-ins for Citus's placement functions on plain PostgreSQL (scripts/citus-migrate.sh
-- --stub, run by `make audit`). Each refuses what Citus refuses when it places a table: a
-- policy, a foreign key (either way) or a trigger already on it, and for a distributed table a
-- missing distribution column; and records the call, so the script can check that every table
-- of schema app was placed exactly once. Citus's own functions live in pg_catalog; these live
-- in schema citus_stub, put first on the search path of the placement step only.
create schema citus_stub;
create table citus_stub.calls (tbl regclass primary key, placement text not null, colocate_with text);

create function citus_stub.refuse_what_citus_refuses(tbl regclass) returns void
language plpgsql as $$
begin
  if exists (select from pg_policy where polrelid = tbl) then
    raise exception 'cannot place %: it has policies (Citus: "cannot create policy")', tbl;
  end if;
  if exists (select from pg_constraint where contype = 'f' and (conrelid = tbl or confrelid = tbl)) then
    raise exception 'cannot place %: a foreign key already refers to or from it', tbl;
  end if;
  if exists (select from pg_trigger where tgrelid = tbl and not tgisinternal) then
    raise exception 'cannot place %: it has triggers', tbl;
  end if;
end $$;

create function citus_stub.create_reference_table(tbl regclass) returns void
language plpgsql as $$
begin
  perform citus_stub.refuse_what_citus_refuses(tbl);
  insert into citus_stub.calls values (tbl, 'reference', null);
end $$;

create function citus_stub.create_distributed_table(tbl regclass, column_name text, colocate_with text default 'default')
returns void language plpgsql as $$
begin
  perform citus_stub.refuse_what_citus_refuses(tbl);
  if not exists (select from pg_attribute where attrelid = tbl and attname = column_name and not attisdropped) then
    raise exception 'cannot distribute % by %: no such column', tbl, column_name;
  end if;
  if colocate_with not in ('default', 'none') and not exists (
       select from citus_stub.calls k where k.tbl = create_distributed_table.colocate_with::regclass and k.placement = 'distributed') then
    raise exception 'cannot co-locate % with %: not distributed yet', tbl, colocate_with;
  end if;
  insert into citus_stub.calls values (tbl, 'distributed', colocate_with);
end $$;

create function citus_stub.citus_add_local_table_to_metadata(tbl regclass) returns void
language plpgsql as $$
begin
  perform citus_stub.refuse_what_citus_refuses(tbl);
  insert into citus_stub.calls values (tbl, 'local', null);
end $$;

-- After the restore: every table of schema app placed exactly once (the primary key of calls
-- makes twice impossible).
create function citus_stub.check_every_table_placed_once() returns void
language plpgsql as $$
declare missing text;
begin
  select string_agg(c.oid::regclass::text, ', ') into missing
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'app' and c.relkind in ('r', 'p')
    and not exists (select from citus_stub.calls k where k.tbl = c.oid);
  if missing is not null then
    raise exception 'tables never placed: %', missing;
  end if;
end $$;
