-- The core of the isolation contract: schema app, the tenant-setting functions, the brands
-- (tenants) and the pattern every tenant-owned table follows, shown on categories.
--
-- `brandhouse migrate` runs each migration as the owner role (SET LOCAL ROLE), so the owner owns
-- every object created here. Policies and grants live in policies/ and are applied after the
-- migrations.

create schema app;
comment on schema app is 'brandhouse: every table here is tenant-isolated by RLS or on the global list in policies/audit.sql';

-- The tenant of the current transaction, or NULL when none is set. The API sets it with
-- set_config('app.tenant_id', $1, true) (= SET LOCAL). After such a transaction ends, a pooled
-- connection reports '' rather than NULL, hence nullif: NULL matches no row, while ''::uuid
-- would raise an error instead of returning nothing.
create function app.current_tenant() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- The acting staff user and role, set next to the tenant for the audit trail. Never used for
-- visibility: that is the tenant's job alone.
create function app.current_user_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;

create function app.current_actor_role() returns text
  language sql stable parallel safe
  as $$ select nullif(current_setting('app.role', true), '') $$;

-- The brands. Global: a brand has to be found (from X-Tenant-ID or Host) before any tenant is
-- known. Holds nothing secret; secrets belong in tenant-owned tables.
create table app.tenants (
  id          uuid primary key default gen_random_uuid(),
  slug        text not null
              constraint tenants_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 63),
  name        text not null
              constraint tenants_name_length check (length(btrim(name)) between 1 and 200),
  -- The first part of every SKU this brand issues (FBX-HAIR-0042-BLK-250ML); printed on labels.
  sku_prefix  text not null
              constraint tenants_sku_prefix_format check (sku_prefix ~ '^[A-Z]{3}$'),
  -- ISO 4217 code; prices are integers in this currency's minor units.
  currency    text not null default 'EUR'
              constraint tenants_currency_format check (currency ~ '^[A-Z]{3}$'),
  -- Public storefront configuration (colours, font, logo URL), shaped by the API.
  theme       jsonb not null default '{}'
              constraint tenants_theme_object check (jsonb_typeof(theme) = 'object'),
  features    jsonb not null default '{}'
              constraint tenants_features_object check (jsonb_typeof(features) = 'object'),
  is_active   boolean not null default true,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint tenants_slug_key unique (slug),
  constraint tenants_sku_prefix_key unique (sku_prefix)
);

-- A brand's storefront host names. A table rather than an array column on tenants, because a
-- primary key is what makes a domain unique across all brands.
create table app.tenant_domains (
  domain     text primary key
             constraint tenant_domains_format check (domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$' and length(domain) <= 253),
  tenant_id  uuid not null references app.tenants (id) on delete cascade
);
create index tenant_domains_tenant_idx on app.tenant_domains (tenant_id);

-- The tenant-owned pattern, final for every later table:
--   * tenant_id first, defaulting to the transaction's tenant, so an insert that names no
--     tenant gets the right one and an insert with no tenant set fails (NOT NULL);
--   * primary key (tenant_id, id), and every foreign key includes tenant_id, so a row of one
--     brand can never point at a row of another;
--   * RLS enabled and FORCEd here, at creation, so the table is closed even before
--     policies/ opens it to the API role.
create table app.categories (
  tenant_id   uuid not null default app.current_tenant() references app.tenants (id),
  id          uuid not null default gen_random_uuid(),
  -- Part of every SKU in the category (HAIR, SKIN, STYL).
  code        text not null
              constraint categories_code_format check (code ~ '^[A-Z0-9]{2,8}$'),
  name        text not null
              constraint categories_name_length check (length(btrim(name)) between 1 and 200),
  created_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint categories_code_key unique (tenant_id, code)
);
alter table app.categories enable row level security;
alter table app.categories force row level security;
