-- What pinning search_path on app.current_tenant() costs (sql/V15__least_privilege.sql).
-- A function with SET search_path is no longer inlined: it is called. Run on a scratch database:
--   psql postgres://postgres@127.0.0.1:5432/postgres -Xc 'create database sp_bench'
--   psql postgres://postgres@127.0.0.1:5432/sp_bench -Xf bench/search-path.sql
-- and compare the timings of each pair (run it twice; the first pass warms the cache).
create function f_inlined() returns uuid language sql stable parallel safe
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;
create function f_pinned() returns uuid language sql stable parallel safe set search_path = pg_catalog
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;
create table t (id bigint generated always as identity, tenant_id uuid, v int);
insert into t (tenant_id, v)
select case when g % 2 = 0 then '11111111-1111-1111-1111-111111111111'::uuid
            else '22222222-2222-2222-2222-222222222222'::uuid end, g
from generate_series(1, 1000000) g;
create index on t (tenant_id);
analyze t;
select set_config('app.tenant_id', '11111111-1111-1111-1111-111111111111', false);
\timing on
\echo 'the policies form, (select f()): once per statement'
select count(*) from t where tenant_id = (select f_inlined());
select count(*) from t where tenant_id = (select f_pinned());
\echo 'a bare comparison'
select count(*) from t where tenant_id = f_inlined();
select count(*) from t where tenant_id = f_pinned();
\echo 'a column default: once per inserted row'
create table d1 (tenant_id uuid default f_inlined(), v int);
create table d2 (tenant_id uuid default f_pinned(), v int);
insert into d1 (v) select g from generate_series(1, 200000) g;
insert into d2 (v) select g from generate_series(1, 200000) g;
