-- The distributability audit: applies Citus's refusal rules to the migrated schema, so the move
-- from one PostgreSQL to a Citus cluster (docs/SCALING.md) stays a configuration change. Fails
-- (psql exit status 3 with ON_ERROR_STOP) on:
--
--   * a table in schema app without a placement (distributed by tenant_id, reference, or local to
--     the coordinator): tenant-isolated tables are distributed; global ones are on the list below;
--   * a primary key, unique constraint or unique index of a distributed table without tenant_id
--     (Citus enforces uniqueness per shard only);
--   * an exclusion constraint of a distributed table that does not compare tenant_id with =;
--   * a foreign key between distributed tables that does not pair tenant_id with tenant_id (the
--     rows would live on different shards);
--   * a foreign key from a reference or local table to a distributed table, or from a reference
--     table to a local one (Citus refuses both);
--   * a policy on a distributed or reference table whose expression contains a subquery (Citus
--     refuses "cannot create policy ... subqueries are not supported");
--   * a trigger on a distributed table that is not on the allow-list (Citus runs triggers on the
--     shards only with citus.enable_unsafe_triggers, and a trigger there may read nothing but the
--     row itself);
--   * an identity column of a distributed table that is not bigint.
--
-- Run with any role that can read the catalogs (make test runs it after policies/audit.sql):
--   psql "$URL" -v ON_ERROR_STOP=1 -f policies/distributable.sql

\set QUIET on
\pset footer off

begin;
set local search_path = pg_catalog;

-- Where each global table goes on a cluster (docs/SCALING.md says the same, with reasons).
-- Reference tables are copied to every node: small, read by tenant statements (joins, foreign
-- keys). Local tables stay on the coordinator: written often, read by primary key, never joined
-- with tenant data on the workers.
create temp table dist_placement (name text primary key, placement text not null
  check (placement in ('reference', 'local', 'distributed')), reason text not null) on commit drop;
insert into dist_placement values
  ('tenants',           'reference', 'every tenant table references its brand'),
  ('tenant_domains',    'reference', 'brand resolution; small, rarely written'),
  ('zones',             'reference', 'shared warehouse space; stock rows reference zones'),
  ('staff_users',       'reference', 'memberships and tenant rows (invitations, audit) name staff'),
  ('staff_memberships', 'reference', 'the access check joins memberships with brands'),
  ('whatsapp_numbers',  'reference', 'the webhook finds the brand from the number'),
  ('staff_sessions',    'local',     'token checks by primary key on every staff request'),
  ('login_throttle',    'local',     'counters written on every sign-in attempt'),
  ('login_throttle_clients', 'local', 'counters written on every sign-in attempt'),
  ('jobs',              'local',     'the queue: claimed with SKIP LOCKED across brands'),
  ('audit_log',         'local',     'append-only trail, read by the owner'),
  -- Analytics rollups (V37): keyed by tenant_id and written by the trigger on orders in the
  -- order's transaction, so distributed by tenant_id and co-located with orders. No row-level
  -- security (no brand role may read them; policies/audit.sql, analytics-only list).
  ('sales_daily',           'distributed', 'analytics rollup per brand and day, written with the brand''s orders'),
  ('sales_weekly',          'distributed', 'analytics rollup per brand and week, written with the brand''s orders'),
  ('sales_monthly',         'distributed', 'analytics rollup per brand and month, written with the brand''s orders'),
  ('sales_yearly',          'distributed', 'analytics rollup per brand and year, written with the brand''s orders'),
  ('product_sales_daily',   'distributed', 'analytics rollup per brand, day and product, written with the brand''s orders'),
  ('product_sales_monthly', 'distributed', 'analytics rollup per brand, month and product, written with the brand''s orders'),
  ('product_sales_yearly',  'distributed', 'analytics rollup per brand, year and product, written with the brand''s orders'),
  ('catalog_counts',        'distributed', 'analytics rollup per brand, written with the brand''s variants');

-- Triggers a distributed table may keep: each reads only OLD/NEW (or rows of the same brand
-- through the same shard group) and is safe under citus.enable_unsafe_triggers.
create temp table dist_triggers (table_name text, trigger_name text, reason text not null,
  primary key (table_name, trigger_name)) on commit drop;
insert into dist_triggers values
  ('products', 'products_identity_guard', 'reads only OLD and NEW: number and SKU stem never change'),
  ('variants', 'variants_sku_immutable', 'reads only OLD and NEW: a SKU never changes once issued'),
  -- The maintained availability (V32): each writes only the changed variants' rows of
  -- app.availability, the same brand's and co-located. Statement triggers with transition
  -- tables: to be confirmed on a cluster (docs/SCALING.md).
  ('stock', 'availability_stock_inserted', 'keeps app.availability (same brand, co-located)'),
  ('stock', 'availability_stock_updated', 'keeps app.availability (same brand, co-located)'),
  ('stock', 'availability_stock_deleted', 'keeps app.availability (same brand, co-located)'),
  ('holds', 'availability_holds_inserted', 'keeps app.availability (same brand, co-located)'),
  ('holds', 'availability_holds_updated', 'keeps app.availability (same brand, co-located)'),
  ('holds', 'availability_holds_deleted', 'keeps app.availability (same brand, co-located)'),
  -- The analytics rollups (V37): a row trigger that reads the order's own lines and variants
  -- (same brand, co-located) and writes the brand's rollup rows (co-located) through
  -- app.sales_rollup_apply; fires only when the order enters or leaves the counted statuses.
  ('orders', 'sales_rollup_order_changed', 'keeps the analytics rollups (same brand, co-located)'),
  -- Inventory health (V37): statement triggers with transition tables, like V32's, writing
  -- the changed variants' rows of app.availability and the brand's app.catalog_counts row.
  ('variants', 'availability_variants_inserted', 'keeps app.availability (same brand, co-located)'),
  ('variants', 'availability_variants_updated', 'keeps app.availability (same brand, co-located)'),
  ('variants', 'catalog_counts_variants_inserted', 'keeps app.catalog_counts (same brand, co-located)'),
  ('variants', 'catalog_counts_variants_updated', 'keeps app.catalog_counts (same brand, co-located)'),
  ('variants', 'catalog_counts_variants_deleted', 'keeps app.catalog_counts (same brand, co-located)'),
  -- The pre-rendered storefront documents (V35): each renders the changed products' rows of
  -- app.storefront_documents from the same brand's catalog rows, co-located. Statement
  -- triggers with transition tables, as above.
  ('products', 'storefront_products_inserted', 'renders app.storefront_documents (same brand, co-located)'),
  ('products', 'storefront_products_updated', 'renders app.storefront_documents (same brand, co-located)'),
  ('variants', 'storefront_variants_inserted', 'renders app.storefront_documents (same brand, co-located)'),
  ('variants', 'storefront_variants_updated', 'renders app.storefront_documents (same brand, co-located)'),
  ('variants', 'storefront_variants_deleted', 'renders app.storefront_documents (same brand, co-located)'),
  ('product_translations', 'storefront_product_translations_inserted', 'renders app.storefront_documents (same brand, co-located)'),
  ('product_translations', 'storefront_product_translations_updated', 'renders app.storefront_documents (same brand, co-located)'),
  ('product_translations', 'storefront_product_translations_deleted', 'renders app.storefront_documents (same brand, co-located)'),
  ('product_media', 'storefront_product_media_inserted', 'renders app.storefront_documents (same brand, co-located)'),
  ('product_media', 'storefront_product_media_updated', 'renders app.storefront_documents (same brand, co-located)'),
  ('product_media', 'storefront_product_media_deleted', 'renders app.storefront_documents (same brand, co-located)'),
  ('categories', 'storefront_categories_updated', 'renders app.storefront_documents (same brand, co-located)'),
  ('category_translations', 'storefront_category_translations_inserted', 'renders app.storefront_documents (same brand, co-located)'),
  ('category_translations', 'storefront_category_translations_updated', 'renders app.storefront_documents (same brand, co-located)'),
  ('category_translations', 'storefront_category_translations_deleted', 'renders app.storefront_documents (same brand, co-located)'),
  ('brand_locales', 'storefront_brand_locales_inserted', 'renders app.storefront_documents (same brand, co-located)'),
  ('brand_locales', 'storefront_brand_locales_updated', 'renders app.storefront_documents (same brand, co-located)'),
  ('brand_locales', 'storefront_brand_locales_deleted', 'renders app.storefront_documents (same brand, co-located)');

create temp view dist_tables as
select c.oid as relid, c.relname::text as table_name,
       case
         when p.name is not null then p.placement
         when exists (select from pg_policy pol where pol.polrelid = c.oid and pol.polname = 'tenant_isolation')
              and exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id'
                            and not a.attisdropped)
           then 'distributed'
       end as placement,
       (select a.attnum from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id'
          and not a.attisdropped) as tenant_attnum
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join dist_placement p on p.name = c.relname
where n.nspname = 'app' and c.relkind in ('r', 'p');

\echo
\echo '== Placement on a cluster =='
select table_name as "table", coalesce(placement, '?') as placement
from dist_tables order by placement, table_name;

create temp view dist_violations as
select table_name as subject, 'no placement: neither tenant-isolated nor on the placement list' as problem
from dist_tables where placement is null
union all
select name, 'on the placement list but missing from schema app'
from dist_placement p where not exists (select from dist_tables t where t.table_name = p.name)
union all
-- Unique indexes (primary keys and unique constraints included) without tenant_id.
select t.table_name || '.' || i.indexrelid::regclass::text,
       'unique index of a distributed table without tenant_id'
from dist_tables t
join pg_index i on i.indrelid = t.relid and i.indisunique
where t.placement = 'distributed'
  and not (t.tenant_attnum = any (i.indkey::int2[]))
union all
select t.table_name || '.' || con.conname, 'exclusion constraint without tenant_id WITH ='
from dist_tables t
join pg_constraint con on con.conrelid = t.relid and con.contype = 'x'
where t.placement = 'distributed'
  and not exists (
    select from unnest(con.conkey, con.conexclop) as k(attnum, op)
    where k.attnum = t.tenant_attnum and k.op = 'pg_catalog.=(uuid,uuid)'::regoperator)
union all
-- Foreign keys between distributed tables pair tenant_id with tenant_id.
select src.table_name || '.' || con.conname,
       'foreign key between distributed tables without tenant_id on both sides'
from pg_constraint con
join dist_tables src on src.relid = con.conrelid
join dist_tables dst on dst.relid = con.confrelid
where con.contype = 'f' and src.placement = 'distributed' and dst.placement = 'distributed'
  and not exists (
    select from unnest(con.conkey, con.confkey) as k(src_att, dst_att)
    where k.src_att = src.tenant_attnum and k.dst_att = dst.tenant_attnum)
union all
select src.table_name || '.' || con.conname,
       'foreign key from a ' || src.placement || ' table to a ' || dst.placement || ' table'
from pg_constraint con
join dist_tables src on src.relid = con.conrelid
join dist_tables dst on dst.relid = con.confrelid
where con.contype = 'f'
  and ((src.placement in ('reference', 'local') and dst.placement = 'distributed')
       or (src.placement = 'reference' and dst.placement = 'local'))
union all
select t.table_name || '.' || pol.polname, 'policy with a subquery (Citus refuses it)'
from dist_tables t
join pg_policy pol on pol.polrelid = t.relid
cross join lateral (values (pg_get_expr(pol.polqual, pol.polrelid)),
                           (pg_get_expr(pol.polwithcheck, pol.polrelid))) as e(expr)
where t.placement in ('distributed', 'reference')
  and e.expr ~* '\mSELECT\M'
union all
select t.table_name || '.' || tg.tgname, 'trigger on a distributed table not on the allow-list'
from dist_tables t
join pg_trigger tg on tg.tgrelid = t.relid and not tg.tgisinternal
where t.placement = 'distributed'
  and not exists (select from dist_triggers d where d.table_name = t.table_name and d.trigger_name = tg.tgname)
union all
select t.table_name || '.' || a.attname, 'identity column that is not bigint'
from dist_tables t
join pg_attribute a on a.attrelid = t.relid and a.attidentity <> '' and not a.attisdropped
where t.placement = 'distributed' and a.atttypid <> 'int8'::regtype;

\echo '== Distributability violations (must be empty) =='
select subject, problem from dist_violations order by subject;

\set QUIET off
do $$
declare n int;
begin
  select count(*) into n from dist_violations;
  if n > 0 then
    raise exception 'distributability audit failed: % violation(s), listed above', n;
  end if;
  raise notice 'distributability audit passed';
end $$;

-- With -v emit_distribution=FILE (scripts/citus-migrate.sh): the placement as Citus statements,
-- in the order it needs them: reference tables, then the distributed ones (each co-located
-- with the first), then the local ones added to Citus's metadata (they keep their foreign keys
-- to reference tables).
\if :{?emit_distribution}
\pset tuples_only on
\pset format unaligned
with anchor as (select min(table_name) as name from dist_tables where placement = 'distributed')
select stmt from (
  select 1 as k, 0 as j, table_name, format('select create_reference_table(%L);', 'app.' || table_name) as stmt
  from dist_tables where placement = 'reference'
  union all
  select 2, case when table_name = anchor.name then 0 else 1 end, table_name,
         format('select create_distributed_table(%L, %L, colocate_with => %L);', 'app.' || table_name,
                'tenant_id', case when table_name = anchor.name then 'none' else 'app.' || anchor.name end)
  from dist_tables, anchor where placement = 'distributed'
  union all
  select 3, 0, table_name, format('select citus_add_local_table_to_metadata(%L);', 'app.' || table_name)
  from dist_tables where placement = 'local'
) s order by k, j, table_name
\g :emit_distribution
\endif
rollback;
