-- The three roles of the isolation contract. Not a versioned migration: roles belong to the
-- cluster, not to one database, so `brandhouse migrate` applies this file idempotently before
-- the migrations, on every run, through the migration (administrative) login.
--
-- {{owner_role}}, {{api_role}} and {{analytics_role}} are replaced by the configured names,
-- which the configuration has already checked to be plain lowercase identifiers.

-- Roles are cluster-wide, so two migrate runs against different databases of one server may
-- race here; the loser's duplicate_object is harmless.
do $$
declare
  r text;
begin
  foreach r in array array['{{owner_role}}', '{{api_role}}', '{{analytics_role}}'] loop
    if not exists (select from pg_roles where rolname = r) then
      begin
        execute format('create role %I', r);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;
end
$$;

-- Attributes are asserted on every run, so a role edited by hand is put back.

-- Owns schema app and everything in it. Nobody logs in as the owner: migrations reach it with
-- SET ROLE from the administrative login. Owners skip RLS unless it is FORCEd, which is why
-- every tenant table is FORCEd and why the API never runs as this role.
alter role {{owner_role}} nologin nosuperuser nocreatedb nocreaterole noreplication nobypassrls;

-- The runtime role: row-level security applies to it in full. NOINHERIT and no memberships, so
-- it cannot SET ROLE into anything stronger (the audit checks memberships too).
alter role {{api_role}} login nosuperuser nocreatedb nocreaterole noreplication nobypassrls noinherit;

-- Owner analytics: reads across brands (BYPASSRLS), SELECT grants only, read-only by default.
alter role {{analytics_role}} login nosuperuser nocreatedb nocreaterole noreplication bypassrls noinherit;
alter role {{analytics_role}} set default_transaction_read_only = on;

-- The owner creates schema app in this database; the other two only connect.
do $$
begin
  execute format('grant create, connect on database %I to {{owner_role}}', current_database());
  execute format('grant connect on database %I to {{api_role}}, {{analytics_role}}', current_database());
end
$$;
