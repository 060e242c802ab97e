-- Delivery and tax at checkout (issue 14, points 1-3): the address an order ships to, the
-- brand's shipping methods and tax rates, and the order's subtotal, shipping and tax.
--
-- Backward compatible for one release (CONTRIBUTING, "zero-downtime"): every new column on a
-- table the previous release writes is nullable or has a default, so its inserts keep working;
-- the new tables are only read and written by this release. Orders placed by the previous
-- release get subtotal = total (no shipping, no tax), and this release reads
-- coalesce(subtotal_minor, total_minor) for rows the previous release writes meanwhile.

-- The order's money and delivery, snapshotted at checkout (a later change to a method, a rate or
-- a brand setting never changes a placed order). total_minor stays the amount to pay:
--   prices exclusive of tax: total = subtotal + shipping + tax
--   prices inclusive of tax: total = subtotal + shipping (tax is the part included in them)
alter table app.orders
  add column subtotal_minor bigint
    constraint orders_subtotal_nonnegative check (subtotal_minor >= 0),
  add column shipping_minor bigint not null default 0
    constraint orders_shipping_nonnegative check (shipping_minor >= 0),
  add column tax_minor bigint not null default 0
    constraint orders_tax_nonnegative check (tax_minor >= 0),
  -- The brand's setting when the order was placed; null for orders placed before V24 (no tax).
  add column prices_include_tax boolean,
  -- {"name", "line1", "line2", "city", "postal_code", "region", "country", "phone"}, validated
  -- at the edge (src/types/address.rs). Customer personal data: staff without customers.read
  -- never see it, except the shipping address on the pick list (shipping needs it).
  add column shipping_address jsonb
    constraint orders_shipping_address_object check (jsonb_typeof(shipping_address) = 'object'),
  add column billing_address jsonb
    constraint orders_billing_address_object check (jsonb_typeof(billing_address) = 'object'),
  -- The method as it was when the order was placed (its code may be deleted or reused later).
  add column shipping_method_code text,
  add column shipping_method_name text;

-- Each line's tax, snapshotted. line_total_minor is what the line costs the customer, tax
-- included: unit price x quantity + tax when prices exclude tax, unit price x quantity when
-- they include it. Lines placed before V24 get unit price x quantity (no tax).
alter table app.order_lines
  add column tax_class text
    constraint order_lines_tax_class check (tax_class in ('standard', 'reduced', 'zero')),
  add column tax_rate_bp integer not null default 0
    constraint order_lines_tax_rate check (tax_rate_bp between 0 and 10000),
  add column tax_minor bigint not null default 0
    constraint order_lines_tax_nonnegative check (tax_minor >= 0),
  add column line_total_minor bigint
    constraint order_lines_total_nonnegative check (line_total_minor >= 0);

-- The backfill runs as the owner, who is subject to the forced row-level security and has no
-- policy of its own: FORCE is lifted for these statements, in this transaction, and put back
-- (as in V16).
alter table app.orders no force row level security;
alter table app.order_lines no force row level security;
update app.orders set subtotal_minor = total_minor where subtotal_minor is null;
update app.order_lines set line_total_minor = unit_price_minor * quantity
where line_total_minor is null;
alter table app.orders force row level security;
alter table app.order_lines force row level security;

-- The brand's tax settings. prices_include_tax: catalog prices (and shipping prices) include
-- tax (typical in the EU for consumers) or exclude it (added at checkout). tax_origin_country:
-- the country taxed when a checkout gives no shipping address; null = no tax then.
alter table app.brand_settings
  add column prices_include_tax boolean not null default false,
  add column tax_origin_country text
    constraint brand_settings_tax_origin_country check (tax_origin_country ~ '^[A-Z]{2}$');

-- A product's tax class (its variants share it): the rate is looked up per (country, class).
alter table app.products
  add column tax_class text not null default 'standard'
    constraint products_tax_class check (tax_class in ('standard', 'reduced', 'zero'));

-- A variant's shipping weight in grams (optional; a variant without one weighs 0 for weight
-- bands).
alter table app.variants
  add column weight_grams integer
    constraint variants_weight_grams check (weight_grams between 0 and 1000000);

-- A brand's shipping methods. A checkout of a brand with at least one active method must name
-- an eligible one (it ships to the country and a band prices the order); a brand with none
-- ships for 0, as before V24.
create table app.shipping_methods (
  tenant_id        uuid not null default app.current_tenant() references app.tenants (id),
  id               uuid not null default gen_random_uuid(),
  -- What checkouts send (`shipping_method`): lowercase words, e.g. `standard`, `express-eu`.
  code             text not null
                   constraint shipping_methods_code check (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(code) <= 63),
  name             text not null
                   constraint shipping_methods_name check (length(btrim(name)) between 1 and 200),
  -- ISO 3166-1 alpha-2 codes the method ships to.
  countries        text[] not null
                   constraint shipping_methods_countries check (
                     cardinality(countries) between 1 and 250
                     and array_to_string(countries, ',') ~ '^[A-Z]{2}(,[A-Z]{2})*$'),
  -- `subtotal`: bands by the order's subtotal in minor units; `weight`: by its weight in grams.
  rate_basis       text not null
                   constraint shipping_methods_rate_basis check (rate_basis in ('subtotal', 'weight')),
  -- [{"min": 0, "max": 5000, "price_minor": 490}, ...]: min inclusive, max exclusive (null:
  -- no upper bound), not overlapping. An order outside every band cannot use the method.
  -- Kept as one document: bands are only ever read and written with their method.
  bands            jsonb not null
                   constraint shipping_methods_bands check (
                     jsonb_typeof(bands) = 'array' and jsonb_array_length(bands) between 1 and 50),
  -- From this subtotal on the method costs nothing (null: never free).
  free_over_minor  bigint constraint shipping_methods_free_over check (free_over_minor >= 0),
  active           boolean not null default true,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint shipping_methods_code_key unique (tenant_id, code)
);
alter table app.shipping_methods enable row level security;
alter table app.shipping_methods force row level security;

-- A brand's tax rate for one country and tax class, in basis points (2000 = 20 %). No row:
-- no tax for that (country, class).
create table app.tax_rates (
  tenant_id   uuid not null default app.current_tenant() references app.tenants (id),
  id          uuid not null default gen_random_uuid(),
  country     text not null constraint tax_rates_country check (country ~ '^[A-Z]{2}$'),
  tax_class   text not null
              constraint tax_rates_tax_class check (tax_class in ('standard', 'reduced', 'zero')),
  rate_bp     integer not null constraint tax_rates_rate check (rate_bp between 0 and 10000),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint tax_rates_country_class_key unique (tenant_id, country, tax_class)
);
alter table app.tax_rates enable row level security;
alter table app.tax_rates force row level security;
