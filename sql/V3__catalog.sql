-- The catalog: products with generated variants and warehouse-readable SKUs.

-- Extensions live in their own schema, so schema app holds only brandhouse's objects.
-- pg_trgm is a trusted extension: the owner creates it with its CREATE privilege.
create schema ext;
create extension pg_trgm with schema ext;

-- The last product number issued per brand. Numbers are per brand and sequential; the row
-- lock of the upsert serialises concurrent product creation within a brand only.
create table app.product_counters (
  tenant_id    uuid not null default app.current_tenant() references app.tenants (id),
  last_number  integer not null constraint product_counters_positive check (last_number > 0),
  primary key (tenant_id)
);
alter table app.product_counters enable row level security;
alter table app.product_counters force row level security;

create table app.products (
  tenant_id         uuid not null default app.current_tenant() references app.tenants (id),
  id                uuid not null default gen_random_uuid(),
  number            integer not null constraint products_number_positive check (number > 0),
  -- A stable key chosen by the brand (CSV imports upsert by it).
  handle            text not null
                    constraint products_handle_format check (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(handle) <= 120),
  category_id       uuid not null,
  -- The first part of every SKU of this product (FBX-HAIR-0042), fixed at creation: renaming
  -- or recategorising the product changes no SKU.
  sku_stem          text not null,
  name              text not null
                    constraint products_name_length check (length(btrim(name)) between 1 and 200),
  description       text not null default ''
                    constraint products_description_length check (length(description) <= 10000),
  status            text not null default 'draft'
                    constraint products_status check (status in ('draft', 'active', 'archived')),
  -- Money is an integer in the brand's currency's minor units, never a float.
  base_price_minor  bigint not null constraint products_price_nonnegative check (base_price_minor >= 0),
  -- The option axes, in order: [{"name": "Colour", "values": [{"value": "Black", "code": "BLK"}]}].
  axes              jsonb not null default '[]'
                    constraint products_axes_array check (jsonb_typeof(axes) = 'array'),
  -- Full-text search over name (weight A) and description (B) with the language-neutral
  -- 'simple' configuration: brands sell in several languages.
  search            tsvector generated always as (
                      setweight(to_tsvector('simple', name), 'A') ||
                      setweight(to_tsvector('simple', description), 'B')
                    ) stored,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint products_number_key unique (tenant_id, number),
  constraint products_handle_key unique (tenant_id, handle),
  constraint products_category_fkey foreign key (tenant_id, category_id)
    references app.categories (tenant_id, id)
);
alter table app.products enable row level security;
alter table app.products force row level security;
-- The storefront's list: active products of a brand in number order (the cursor's order).
create index products_storefront_idx on app.products (tenant_id, number) where status = 'active';
create index products_category_idx on app.products (tenant_id, category_id, number);
create index products_search_idx on app.products using gin (search);
-- Substring matches on names (partial words, scripts written without spaces).
create index products_name_trgm_idx on app.products using gin (name ext.gin_trgm_ops);

create table app.variants (
  tenant_id             uuid not null default app.current_tenant() references app.tenants (id),
  id                    uuid not null default gen_random_uuid(),
  product_id            uuid not null,
  sku                   text not null
                        constraint variants_sku_format check (sku ~ '^[A-Z]{3}-[A-Z0-9]{2,8}-[0-9]{4,}(-[A-Z0-9]{1,12})*$' and length(sku) <= 64),
  -- The combination's identity within the product (normalised axis=value pairs; '' for the
  -- default variant of a product without axes).
  option_key            text not null,
  -- The combination as shown: [{"axis": "Colour", "value": "Black"}, ...] in axis order.
  options               jsonb not null default '[]'
                        constraint variants_options_array check (jsonb_typeof(options) = 'array'),
  price_override_minor  bigint constraint variants_price_nonnegative check (price_override_minor >= 0),
  reorder_threshold     integer not null default 0
                        constraint variants_threshold_nonnegative check (reorder_threshold >= 0),
  is_active             boolean not null default true,
  position              integer not null default 0,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint variants_option_key_key unique (tenant_id, product_id, option_key),
  constraint variants_product_fkey foreign key (tenant_id, product_id)
    references app.products (tenant_id, id)
);
alter table app.variants enable row level security;
alter table app.variants force row level security;
-- A SKU is unique across the whole database, not just within a brand: it is printed on
-- labels in a shared warehouse. The brand prefix makes clashes impossible in practice; this
-- makes them impossible.
create unique index variants_sku_key on app.variants (sku);
create index variants_product_idx on app.variants (tenant_id, product_id, position);

-- SKUs are part of the physical world: one issued is never changed, and it always starts with
-- its own brand's prefix. Product numbers and stems are just as fixed.
create function app.variants_sku_guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if tg_op = 'UPDATE' and new.sku is distinct from old.sku then
    raise exception 'a SKU never changes once issued (% -> %)', old.sku, new.sku
      using errcode = 'check_violation', constraint = 'variants_sku_immutable';
  end if;
  if tg_op = 'INSERT' and not exists (
    select from app.tenants t where t.id = new.tenant_id and new.sku like t.sku_prefix || '-%'
  ) then
    raise exception 'SKU % does not carry its brand''s prefix', new.sku
      using errcode = 'check_violation', constraint = 'variants_sku_prefix';
  end if;
  return new;
end
$$;
create trigger variants_sku_guard before insert or update of sku on app.variants
  for each row execute function app.variants_sku_guard();

create function app.products_identity_guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if new.number is distinct from old.number or new.sku_stem is distinct from old.sku_stem then
    raise exception 'a product''s number and SKU stem never change'
      using errcode = 'check_violation', constraint = 'products_identity_immutable';
  end if;
  return new;
end
$$;
create trigger products_identity_guard before update of number, sku_stem on app.products
  for each row execute function app.products_identity_guard();
