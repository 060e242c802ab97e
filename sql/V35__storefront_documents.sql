-- Pre-rendered storefront documents (issue 22): each product's storefront JSON, per locale of
-- its brand, rendered when the catalog changes instead of on every request.
--
-- Until now every storefront read (list, search, detail: src/catalog/sql/storefront_item.sql)
-- built each product's JSON with json_build_object over the page's variants, their translated
-- option labels, the media and the category: most of the statement's time. A document here
-- holds that JSON cut into the parts that do not change per request:
--
--   head        '{"number" : 7, "handle" : ..., "category" : {...}, "currency" : '
--   middle      ', "price_minor" : 1200, "variants" : ['
--   variant_ids the product's active variants, in display order (position, then SKU)
--   variants    per variant, its JSON without availability and without the closing brace:
--               '{"sku" : "FBX-HAIR-0001", "options" : [...], "price_minor" : 1200'
--   tail        '], "media" : [...]}'
--
-- A read joins them with what does: the brand's currency (a global setting of the brand, not
-- part of the catalog) and each variant's availability (app.variant_availability, the one
-- definition, kept as a number by V32):
--
--   head || currency || middle || string_agg(variant || ', "available" : ' || n
--                                             || ', "available_in_zone" : ' || m || '}', ', ')
--        || tail
--
-- which is byte for byte the JSON the statement built before (tests/api/documents.rs compares
-- both for every product and locale of the demo catalog).
--
-- What a document depends on, and the statement triggers below that render it again in the
-- statement (and so the transaction) that changes it: the product (number, handle, name,
-- description, price, category), its variants (SKU, options, price override, active flag,
-- position; inserted, updated, deleted), its translations, its category's code and name and the
-- category's translations, its media, and the brand's locales (one document per locale the
-- brand sells in; a removed locale's documents go, so its translations show nowhere, and come
-- back with it). A product's status is not in the document: the readers select active products.
--
-- Rendering a product locks its row first (FOR NO KEY UPDATE, which a foreign-key check does
-- not wait for) in (tenant, id) order, then reads in a new statement: two transactions that
-- change different rows of one product render it one after the other, the second seeing the
-- first's committed changes, so the last document written is never older than the last change.

create table app.storefront_documents (
  tenant_id    uuid not null default app.current_tenant(),
  product_id   uuid not null,
  locale       text not null,
  head         text not null,
  middle       text not null,
  variant_ids  uuid[] not null,
  variants     text[] not null,
  tail         text not null,
  primary key (tenant_id, product_id, locale),
  constraint storefront_documents_product_fkey foreign key (tenant_id, product_id)
    references app.products (tenant_id, id) on delete cascade,
  constraint storefront_documents_variants_paired
    check (cardinality(variant_ids) = cardinality(variants))
);
alter table app.storefront_documents enable row level security;
alter table app.storefront_documents force row level security;

comment on table app.storefront_documents is
  'Per product and brand locale: the storefront JSON without currency and availability, in parts. Rendered by app.storefront_render() from triggers on the catalog tables; read by src/catalog/sql/storefront_item.sql.';

-- The documents of products (p_tenants[i], p_products[i]) as they should be, from scratch: one
-- row per product and locale of its brand (no brand_locales row: `en` only). Products that do
-- not exist give no row. The one rendering: the triggers store it and the checks compare with it.
-- Each field is encoded as json_build_object encodes it (to_json of the value: same escaping,
-- ' : ' and ', ' separators), as the statement did before.
create function app.storefront_document_parts(p_tenants uuid[], p_products uuid[])
  returns table (tenant_id uuid, product_id uuid, locale text, head text, middle text,
                 variant_ids uuid[], variants text[], tail text)
  language sql stable
  set search_path = pg_catalog, app
as $$
  select p.tenant_id, p.id, l.locale,
         '{"number" : ' || p.number
           || ', "handle" : ' || to_json(p.handle)::text
           || ', "name" : ' || to_json(coalesce(tr.name, p.name))::text
           || ', "description" : ' || to_json(coalesce(tr.description, p.description))::text
           || ', "category" : '
           || json_build_object('code', c.code, 'name', coalesce(ct.name, c.name))::text
           || ', "currency" : ',
         ', "price_minor" : ' || p.base_price_minor || ', "variants" : [',
         coalesce(v.ids, '{}'),
         coalesce(v.fragments, '{}'),
         '], "media" : '
           || coalesce((
                select json_agg(json_build_object(
                         'name', m.name,
                         'content_type', m.content_type,
                         'url', '/v1/storefront/media/' || p.number || '/' || m.name)
                       order by m.position, m.name)
                from app.product_media m
                where m.tenant_id = p.tenant_id and m.product_id = p.id
              )::text, '[]')
           || '}'
  from (select distinct k.tenant_id, k.id from unnest(p_tenants, p_products) as k(tenant_id, id)) k
  join app.products p on p.tenant_id = k.tenant_id and p.id = k.id
  join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
  cross join lateral unnest(coalesce((select b.locales from app.brand_locales b
                                      where b.tenant_id = p.tenant_id), '{en}')) as l(locale)
  left join app.product_translations tr
    on tr.tenant_id = p.tenant_id and tr.product_id = p.id and tr.locale = l.locale
  left join app.category_translations ct
    on ct.tenant_id = p.tenant_id and ct.category_id = c.id and ct.locale = l.locale
  left join lateral (
    select array_agg(x.id order by x.position, x.sku) as ids,
           array_agg(x.fragment order by x.position, x.sku) as fragments
    from (
      select v.id, v.position, v.sku,
             '{"sku" : ' || to_json(v.sku)::text
               || ', "options" : '
               || (select coalesce(jsonb_agg(jsonb_build_object(
                             'axis', coalesce(tr.option_labels->>(o->>'axis'), o->>'axis'),
                             'value', coalesce(tr.option_labels->>(o->>'value'), o->>'value'))
                           order by n), '[]'::jsonb)
                   from jsonb_array_elements(v.options) with ordinality as e(o, n))::text
               || ', "price_minor" : ' || coalesce(v.price_override_minor, p.base_price_minor)
               as fragment
      from app.variants v
      where v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active
    ) x
  ) v on true
$$;

-- Renders the documents of products (p_tenants[i], p_products[i]) again: locks the products,
-- then writes what app.storefront_document_parts() gives (rows that did not change are left
-- alone) and deletes the products' other documents (a locale the brand dropped, a product that
-- is gone). Security invoker: row-level security applies to the caller, the API role in a
-- brand's transaction.
--
-- The products of a brand being deleted are skipped: `brandhouse brand delete` names it in
-- `app.deleting_brand` (src/tenants/delete.rs) and removes every row of the brand in the same
-- transaction, so rendering them as their rows go would be work thrown away (and would change
-- the row counts its record reports).
create function app.storefront_render(p_tenants uuid[], p_products uuid[]) returns void
  language plpgsql
  set search_path = pg_catalog, app
as $$
begin
  select array_agg(k.tenant_id), array_agg(k.id) into p_tenants, p_products
  from unnest(p_tenants, p_products) as k(tenant_id, id)
  where k.tenant_id is distinct from nullif(current_setting('app.deleting_brand', true), '')::uuid;
  if p_products is null then
    return;
  end if;

  perform
  from app.products p
  where (p.tenant_id, p.id) in (select k.tenant_id, k.id
                                from unnest(p_tenants, p_products) as k(tenant_id, id))
  order by p.tenant_id, p.id
  for no key update;

  with parts as materialized (
    select * from app.storefront_document_parts(p_tenants, p_products)
  ),
  written as (
    insert into app.storefront_documents as d
      (tenant_id, product_id, locale, head, middle, variant_ids, variants, tail)
    select x.tenant_id, x.product_id, x.locale, x.head, x.middle, x.variant_ids, x.variants, x.tail
    from parts x
    order by x.tenant_id, x.product_id, x.locale
    on conflict (tenant_id, product_id, locale) do update
      set head = excluded.head, middle = excluded.middle, variant_ids = excluded.variant_ids,
          variants = excluded.variants, tail = excluded.tail
      where (d.head, d.middle, d.variant_ids, d.variants, d.tail)
            is distinct from (excluded.head, excluded.middle, excluded.variant_ids,
                              excluded.variants, excluded.tail)
  )
  delete from app.storefront_documents d
  using unnest(p_tenants, p_products) as k(tenant_id, id)
  where d.tenant_id = k.tenant_id and d.product_id = k.id
    and not exists (select from parts x
                    where x.tenant_id = d.tenant_id and x.product_id = d.product_id
                      and x.locale = d.locale);
end
$$;

-- Stored documents that differ from a fresh rendering (missing, stale or left over), of the
-- products the caller sees: empty when every document is what app.storefront_document_parts()
-- renders now. For tests and for checking a database by hand.
create function app.storefront_documents_stale()
  returns table (product_id uuid, locale text, problem text)
  language sql stable
  set search_path = pg_catalog, app
as $$
  with fresh as materialized (
    select * from app.storefront_document_parts(
      array(select p.tenant_id from app.products p order by p.tenant_id, p.id),
      array(select p.id from app.products p order by p.tenant_id, p.id))
  )
  select coalesce(f.product_id, d.product_id), coalesce(f.locale, d.locale),
         case when d.product_id is null then 'missing'
              when f.product_id is null then 'left over'
              else 'stale' end
  from fresh f
  full join app.storefront_documents d
    on d.tenant_id = f.tenant_id and d.product_id = f.product_id and d.locale = f.locale
  where f.product_id is null or d.product_id is null
     or (d.head, d.middle, d.variant_ids, d.variants, d.tail)
        is distinct from (f.head, f.middle, f.variant_ids, f.variants, f.tail)
$$;

-- The triggers: statement-level, with transition tables, each collecting the products whose
-- documents the statement may have changed and rendering them once.

-- Products inserted (created, imported).
create function app.storefront_products_inserted() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
begin
  perform app.storefront_render(array(select n.tenant_id from new_rows n),
                                array(select n.id from new_rows n));
  return null;
end
$$;

-- Products updated: only those whose document fields changed (not status, axes, tax class,
-- updated_at). A deleted product's documents go with it (the foreign key cascades).
create function app.storefront_products_updated() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  t uuid[];
  p uuid[];
begin
  select array_agg(n.tenant_id), array_agg(n.id) into t, p
  from new_rows n
  join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
  where (n.number, n.handle, n.name, n.description, n.base_price_minor, n.category_id)
        is distinct from (o.number, o.handle, o.name, o.description, o.base_price_minor, o.category_id);
  if p is not null then
    perform app.storefront_render(t, p);
  end if;
  return null;
end
$$;

-- Variants inserted or deleted: their products.
create function app.storefront_variants_added_or_removed() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  t uuid[];
  p uuid[];
begin
  if tg_op = 'INSERT' then
    select array_agg(n.tenant_id), array_agg(n.product_id) into t, p from new_rows n;
  else
    select array_agg(o.tenant_id), array_agg(o.product_id) into t, p from old_rows o;
  end if;
  if p is not null then
    perform app.storefront_render(t, p);
  end if;
  return null;
end
$$;

-- Variants updated: the products of those whose document fields changed (not stock
-- thresholds, weights or updated_at).
create function app.storefront_variants_updated() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  t uuid[];
  p uuid[];
begin
  select array_agg(c.tenant_id), array_agg(c.product_id) into t, p
  from new_rows n
  join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
  cross join lateral (values (n.tenant_id, n.product_id), (o.tenant_id, o.product_id)) as c(tenant_id, product_id)
  where (n.product_id, n.sku, n.options, n.price_override_minor, n.is_active, n.position)
        is distinct from (o.product_id, o.sku, o.options, o.price_override_minor, o.is_active, o.position);
  if p is not null then
    perform app.storefront_render(t, p);
  end if;
  return null;
end
$$;

-- Rows that name their product (translations, media) inserted, updated or deleted: those
-- products. Written for any table with tenant_id and product_id.
create function app.storefront_product_rows_changed() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  t uuid[];
  p uuid[];
begin
  if tg_op = 'INSERT' then
    select array_agg(n.tenant_id), array_agg(n.product_id) into t, p from new_rows n;
  elsif tg_op = 'DELETE' then
    select array_agg(o.tenant_id), array_agg(o.product_id) into t, p from old_rows o;
  else
    select array_agg(c.tenant_id), array_agg(c.product_id) into t, p
    from (select n.tenant_id, n.product_id from new_rows n
          union select o.tenant_id, o.product_id from old_rows o) c;
  end if;
  if p is not null then
    perform app.storefront_render(t, p);
  end if;
  return null;
end
$$;

-- Categories renamed or recoded, and category translations changed: the products in those
-- categories.
create function app.storefront_categories_updated() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  t uuid[];
  p uuid[];
begin
  select array_agg(pr.tenant_id), array_agg(pr.id) into t, p
  from new_rows n
  join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
  join app.products pr on pr.tenant_id = n.tenant_id and pr.category_id = n.id
  where (n.code, n.name) is distinct from (o.code, o.name);
  if p is not null then
    perform app.storefront_render(t, p);
  end if;
  return null;
end
$$;

create function app.storefront_category_translations_changed() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  t uuid[];
  p uuid[];
begin
  if tg_op = 'INSERT' then
    select array_agg(pr.tenant_id), array_agg(pr.id) into t, p
    from (select distinct n.tenant_id, n.category_id from new_rows n) c
    join app.products pr on pr.tenant_id = c.tenant_id and pr.category_id = c.category_id;
  elsif tg_op = 'DELETE' then
    select array_agg(pr.tenant_id), array_agg(pr.id) into t, p
    from (select distinct o.tenant_id, o.category_id from old_rows o) c
    join app.products pr on pr.tenant_id = c.tenant_id and pr.category_id = c.category_id;
  else
    select array_agg(pr.tenant_id), array_agg(pr.id) into t, p
    from (select n.tenant_id, n.category_id from new_rows n
          union select o.tenant_id, o.category_id from old_rows o) c
    join app.products pr on pr.tenant_id = c.tenant_id and pr.category_id = c.category_id;
  end if;
  if p is not null then
    perform app.storefront_render(t, p);
  end if;
  return null;
end
$$;

-- The brand's locales set or changed: every product of the brand (documents of a new locale
-- are written, those of a dropped one deleted). Deleted only with the brand.
create function app.storefront_brand_locales_changed() returns trigger
  language plpgsql
  set search_path = pg_catalog, app
as $$
declare
  t uuid[];
  p uuid[];
begin
  if tg_op = 'INSERT' then
    select array_agg(pr.tenant_id), array_agg(pr.id) into t, p
    from new_rows n join app.products pr on pr.tenant_id = n.tenant_id;
  elsif tg_op = 'DELETE' then
    select array_agg(pr.tenant_id), array_agg(pr.id) into t, p
    from old_rows o join app.products pr on pr.tenant_id = o.tenant_id;
  else
    select array_agg(pr.tenant_id), array_agg(pr.id) into t, p
    from new_rows n
    join old_rows o on o.tenant_id = n.tenant_id
    join app.products pr on pr.tenant_id = n.tenant_id
    where n.locales is distinct from o.locales;
  end if;
  if p is not null then
    perform app.storefront_render(t, p);
  end if;
  return null;
end
$$;

-- The triggers are created before the backfill: they lock the tables against writes until this
-- migration commits, so no change can fall between the backfill and the triggers.
create trigger storefront_products_inserted after insert on app.products
  referencing new table as new_rows
  for each statement execute function app.storefront_products_inserted();
create trigger storefront_products_updated after update on app.products
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.storefront_products_updated();
create trigger storefront_variants_inserted after insert on app.variants
  referencing new table as new_rows
  for each statement execute function app.storefront_variants_added_or_removed();
create trigger storefront_variants_updated after update on app.variants
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.storefront_variants_updated();
create trigger storefront_variants_deleted after delete on app.variants
  referencing old table as old_rows
  for each statement execute function app.storefront_variants_added_or_removed();
create trigger storefront_product_translations_inserted after insert on app.product_translations
  referencing new table as new_rows
  for each statement execute function app.storefront_product_rows_changed();
create trigger storefront_product_translations_updated after update on app.product_translations
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.storefront_product_rows_changed();
create trigger storefront_product_translations_deleted after delete on app.product_translations
  referencing old table as old_rows
  for each statement execute function app.storefront_product_rows_changed();
create trigger storefront_product_media_inserted after insert on app.product_media
  referencing new table as new_rows
  for each statement execute function app.storefront_product_rows_changed();
create trigger storefront_product_media_updated after update on app.product_media
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.storefront_product_rows_changed();
create trigger storefront_product_media_deleted after delete on app.product_media
  referencing old table as old_rows
  for each statement execute function app.storefront_product_rows_changed();
create trigger storefront_categories_updated after update on app.categories
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.storefront_categories_updated();
create trigger storefront_category_translations_inserted after insert on app.category_translations
  referencing new table as new_rows
  for each statement execute function app.storefront_category_translations_changed();
create trigger storefront_category_translations_updated after update on app.category_translations
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.storefront_category_translations_changed();
create trigger storefront_category_translations_deleted after delete on app.category_translations
  referencing old table as old_rows
  for each statement execute function app.storefront_category_translations_changed();
create trigger storefront_brand_locales_inserted after insert on app.brand_locales
  referencing new table as new_rows
  for each statement execute function app.storefront_brand_locales_changed();
create trigger storefront_brand_locales_updated after update on app.brand_locales
  referencing old table as old_rows new table as new_rows
  for each statement execute function app.storefront_brand_locales_changed();
create trigger storefront_brand_locales_deleted after delete on app.brand_locales
  referencing old table as old_rows
  for each statement execute function app.storefront_brand_locales_changed();

-- The backfill, every product of every brand. The owner is subject to the forced row-level
-- security and has no policy of its own, so it lifts FORCE for these statements, in this
-- transaction, and puts it back (as V16, V25 and V32 do).
alter table app.products no force row level security;
alter table app.variants no force row level security;
alter table app.categories no force row level security;
alter table app.product_translations no force row level security;
alter table app.category_translations no force row level security;
alter table app.product_media no force row level security;
alter table app.brand_locales no force row level security;
alter table app.storefront_documents no force row level security;
select app.storefront_render(array(select p.tenant_id from app.products p order by p.tenant_id, p.id),
                             array(select p.id from app.products p order by p.tenant_id, p.id));
alter table app.products force row level security;
alter table app.variants force row level security;
alter table app.categories force row level security;
alter table app.product_translations force row level security;
alter table app.category_translations force row level security;
alter table app.product_media force row level security;
alter table app.brand_locales force row level security;
alter table app.storefront_documents force row level security;
