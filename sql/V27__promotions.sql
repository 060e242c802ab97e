-- Promotions and promo codes (issue 15, points 1-3): a brand's promotions, the uses that count
-- against their limits, and each order's discount.
--
-- Backward compatible for one release (CONTRIBUTING, "zero-downtime"): the new columns on
-- orders and order lines default to 0 / no promotions, so the previous release's inserts keep
-- working and its orders read as undiscounted; the new tables are only used by this release.

-- A promotion of a brand. What it gives (`kind`), to what (`target`), when (`starts_at`,
-- `ends_at`, minimum subtotal, first order, email list), how often (`usage_limit`,
-- `usage_limit_per_customer`) and with what (`exclusive`). Automatic when `code` is null.
create table app.promotions (
  tenant_id        uuid not null default app.current_tenant() references app.tenants (id),
  id               uuid not null default gen_random_uuid(),
  name             text not null
                   constraint promotions_name check (length(btrim(name)) between 1 and 200),
  -- What a customer types; matched case-insensitively within the brand (the unique index
  -- below). Null: the promotion applies by itself to every basket it fits.
  code             text
                   constraint promotions_code check (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'),
  kind             text not null
                   constraint promotions_kind check (kind in ('percentage', 'fixed_amount', 'free_shipping', 'buy_x_get_y')),
  -- percentage: basis points of the targeted lines (1000 = 10 %).
  percent_bp       integer constraint promotions_percent check (percent_bp between 1 and 10000),
  -- fixed_amount: minor units of the brand's currency, off the targeted lines.
  amount_minor     bigint constraint promotions_amount check (amount_minor between 1 and 100000000000),
  -- buy_x_get_y: of every buy + get targeted units, the cheapest `get` are free.
  buy_quantity     integer constraint promotions_buy check (buy_quantity between 1 and 1000),
  get_quantity     integer constraint promotions_get check (get_quantity between 1 and 1000),
  -- all, categories (codes), products (numbers), skus.
  target           text not null default 'all'
                   constraint promotions_target check (target in ('all', 'categories', 'products', 'skus')),
  targets          text[] not null default '{}'
                   constraint promotions_targets check (cardinality(targets) <= 500),
  min_subtotal_minor bigint not null default 0
                   constraint promotions_min_subtotal check (min_subtotal_minor >= 0),
  starts_at        timestamptz,
  ends_at          timestamptz,
  first_order_only boolean not null default false,
  -- Lowercased emails; empty: anyone.
  customer_emails  text[] not null default '{}'
                   constraint promotions_emails check (cardinality(customer_emails) <= 1000),
  usage_limit      integer constraint promotions_usage_limit check (usage_limit >= 1),
  usage_limit_per_customer integer
                   constraint promotions_usage_limit_per_customer check (usage_limit_per_customer >= 1),
  exclusive        boolean not null default false,
  active           boolean not null default true,
  -- Uses held by unpaid orders plus uses consumed by paid ones. Raised only by the
  -- conditional update `... where usage_limit is null or uses_count < usage_limit`, so it
  -- never passes the limit however many checkouts race.
  uses_count       integer not null default 0 constraint promotions_uses_count check (uses_count >= 0),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint promotions_window check (starts_at is null or ends_at is null or starts_at < ends_at),
  constraint promotions_kind_fields check (
    (kind = 'percentage') = (percent_bp is not null)
    and (kind = 'fixed_amount') = (amount_minor is not null)
    and (kind = 'buy_x_get_y') = (buy_quantity is not null and get_quantity is not null))
);
alter table app.promotions enable row level security;
alter table app.promotions force row level security;
-- One code per brand, whatever its case: WELCOME10 and welcome10 are the same code. The brand
-- leads the key, so two brands may each have their own WELCOME10.
create unique index promotions_code_key on app.promotions (tenant_id, lower(code)) where code is not null;
-- The automatic promotions checkout looks at on every basket.
create index promotions_automatic_idx on app.promotions (tenant_id) where code is null and active;

-- One promotion used by one order: `held` while the order's stock is held, `released` when
-- the holds end without a sale (expiry, cancellation, payment conflict), `consumed` when paid.
create table app.promotion_uses (
  tenant_id      uuid not null default app.current_tenant() references app.tenants (id),
  id             uuid not null default gen_random_uuid(),
  promotion_id   uuid not null,
  order_id       uuid not null,
  -- The customer's email (lowercased) the per-customer limit counts by.
  email          text not null,
  status         text not null default 'held'
                 constraint promotion_uses_status check (status in ('held', 'released', 'consumed')),
  -- What the promotion took off this order (lines and shipping).
  discount_minor bigint not null constraint promotion_uses_discount check (discount_minor >= 0),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint promotion_uses_order_key unique (tenant_id, order_id, promotion_id),
  constraint promotion_uses_promotion_fkey foreign key (tenant_id, promotion_id) references app.promotions (tenant_id, id),
  constraint promotion_uses_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id)
);
alter table app.promotion_uses enable row level security;
alter table app.promotion_uses force row level security;
-- The per-customer count: uses of one promotion by one email that still count.
create index promotion_uses_email_idx on app.promotion_uses (tenant_id, promotion_id, email)
  where status in ('held', 'consumed');

-- The order's discount: its lines' discounts plus the shipping's. The amount to pay is then
--   prices exclusive of tax: total = subtotal - discount + shipping + tax
--   prices inclusive of tax: total = subtotal - discount + shipping
-- and `promotions` is the snapshot of what was applied: [{id, code, name, kind, amount_minor}].
alter table app.orders
  add column discount_minor bigint not null default 0
    constraint orders_discount_nonnegative check (discount_minor >= 0),
  add column promotions jsonb not null default '[]'
    constraint orders_promotions_array check (jsonb_typeof(promotions) = 'array');

-- Each line's share of the discount (largest remainder: the lines add up to the order's line
-- discount exactly). Its tax and line_total_minor are computed after it.
alter table app.order_lines
  add column discount_minor bigint not null default 0
    constraint order_lines_discount_nonnegative check (discount_minor >= 0);
