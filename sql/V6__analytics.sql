-- Owner analytics across brands: what makes its queries fast at 100 brands x 5,000 SKUs x
-- 1,000,000 orders without rollup tables (see README, "Owner analytics").

-- Units per order, fixed at checkout, so revenue, order and unit counts come from one index.
alter table app.orders add column units integer not null default 0
  constraint orders_units_nonnegative check (units >= 0);

-- Paid revenue by payment time: the overview and the time series read only this index
-- (an index-only scan over the range, every brand at once).
create index orders_paid_at_idx on app.orders (paid_at)
  include (tenant_id, total_minor, units)
  where status in ('paid', 'shipped');

-- New customers by creation time.
create index customers_created_at_idx on app.customers (created_at) include (tenant_id);
