-- Anonymous checkout cannot hoard a brand's stock, nor rename the brand's customers.
--
-- Each brand caps, per checkout, the units of one SKU, and the unpaid orders still holding
-- stock per customer email (and, separately, per phone when one is given). Checkout enforces
-- both inside its transaction, under an advisory lock per (brand, email) and (brand, phone).
alter table app.brand_settings
  add column max_units_per_sku integer not null default 20
    constraint brand_settings_max_units_per_sku check (max_units_per_sku between 1 and 1000),
  add column max_open_orders_per_customer integer not null default 3
    constraint brand_settings_max_open_orders check (max_open_orders_per_customer between 1 and 100);

-- What the checkout sent: an order shows its own snapshot of who placed it, never the
-- customer's current row (which a later checkout with the same email no longer overwrites).
alter table app.orders
  add column customer_name text,
  add column customer_phone text
    constraint orders_customer_phone_e164 check (customer_phone ~ '^\+[1-9][0-9]{6,14}$');

-- Existing orders take their customer's row as it is now (the best record there is). The
-- owner is subject to the forced row-level security and has no policy of its own, so the
-- backfill lifts FORCE for its own statement, in this transaction, and puts it back.
alter table app.orders no force row level security;
alter table app.customers no force row level security;
update app.orders o
set customer_name = c.name, customer_phone = c.phone
from app.customers c
where c.tenant_id = o.tenant_id and c.id = o.customer_id;
alter table app.orders force row level security;
alter table app.customers force row level security;

alter table app.orders alter column customer_name set not null;

-- The open-order counts of checkout.
create index orders_open_by_customer_idx on app.orders (tenant_id, customer_id)
  where status = 'pending_payment';
create index orders_open_by_phone_idx on app.orders (tenant_id, customer_phone)
  where status = 'pending_payment' and customer_phone is not null;
