-- Writes a placed order in one statement, so checkout holds the brand's order counter (and
-- the stock rows it locked) for one round trip and its COMMIT only:
-- * the customer, found by email within the brand: an anonymous checkout attaches its order to
--   that email but never rewrites who the customer is (a stored name, phone or language is
--   kept, only missing ones filled); what this checkout sent is the order's own snapshot
--   (customer_name, customer_phone);
-- * the order's number, after the brand's last one (its counter row stays locked to COMMIT);
-- * the order, its lines and holds (ids chosen by the caller, so the statements sent with this
--   one can name them);
-- * the stock changes and their ledger rows, as inventory::engine::apply writes them: the
--   holds' reservations and the expired holds ended on the way (the table's checks refuse an
--   oversell even if the arithmetic were wrong);
-- * the order's expiry job, as jobs/sql/enqueue.sql queues it.
-- Foreign keys are checked at the end of the statement, when every row is there.
--
-- $1 name, $2 email, $3 phone, $4 language, $5 order id, $6 currency, $7 total, $8 units,
-- $9 preferred zone, $10 idempotency key, $11 request hash, $12 holds_expire_at, $13 subtotal,
-- $14 shipping, $15 tax, $16 prices_include_tax, $17 shipping address, $18 billing address,
-- $19/$20 shipping method code/name; lines $21..$30; holds $31..$35; stock deltas and ledger
-- rows $36..$43; $44 the expiry job's kind.
with customer as (
  insert into app.customers (name, email, phone, preferred_language)
  values ($1, $2, $3, $4)
  on conflict (tenant_id, email) where email is not null
  do update set name = case when app.customers.name = '' then excluded.name else app.customers.name end,
                phone = coalesce(app.customers.phone, excluded.phone),
                preferred_language = coalesce(app.customers.preferred_language, excluded.preferred_language),
                updated_at = now()
  returning id
), counter as (
  insert into app.order_counters as c (last_number) values (1)
  on conflict (tenant_id) do update set last_number = c.last_number + 1
  returning last_number
), placed as (
  insert into app.orders (id, number, customer_id, currency, total_minor, units, preferred_zone_id,
                          idempotency_key, request_hash, holds_expire_at, customer_name,
                          customer_phone, subtotal_minor, shipping_minor, tax_minor,
                          prices_include_tax, shipping_address, billing_address,
                          shipping_method_code, shipping_method_name)
  select $5, counter.last_number, customer.id, $6, $7, $8, $9, $10, $11, $12, $1, $3,
         $13, $14, $15, $16, $17, $18, $19, $20
  from customer, counter
  returning id, number, created_at
), lines as (
  insert into app.order_lines (id, order_id, position, variant_id, sku, quantity, unit_price_minor,
                               tax_class, tax_rate_bp, tax_minor, line_total_minor)
  select l.id, $5, l.position, l.variant_id, l.sku, l.quantity, l.unit_price_minor,
         l.tax_class, l.tax_rate_bp, l.tax_minor, l.line_total_minor
  from unnest($21::uuid[], $22::int[], $23::uuid[], $24::text[], $25::int[], $26::bigint[],
              $27::text[], $28::int[], $29::bigint[], $30::bigint[])
    as l(id, position, variant_id, sku, quantity, unit_price_minor, tax_class, tax_rate_bp,
         tax_minor, line_total_minor)
  returning id
), holds as (
  insert into app.holds (id, order_id, order_line_id, variant_id, zone_id, quantity, status, expires_at)
  select h.id, $5, h.line_id, h.variant_id, h.zone_id, h.quantity, 'active', $12
  from unnest($31::uuid[], $32::uuid[], $33::uuid[], $34::uuid[], $35::int[])
    as h(id, line_id, variant_id, zone_id, quantity)
  returning id
), deltas as (
  select * from unnest($36::uuid[], $37::uuid[], $38::text[], $39::int[], $40::text[],
                       $41::uuid[], $42::uuid[], $43::int[])
    as d(variant_id, zone_id, kind, reserved_delta, reason, order_id, hold_id, on_hand_delta)
), stock as (
  update app.stock s
  set on_hand = s.on_hand + d.on_hand_delta,
      reserved = s.reserved + d.reserved_delta,
      updated_at = now()
  from (
    select variant_id, zone_id, sum(on_hand_delta)::int as on_hand_delta,
           sum(reserved_delta)::int as reserved_delta
    from deltas
    group by variant_id, zone_id
  ) d
  where s.variant_id = d.variant_id and s.zone_id = d.zone_id
  returning 1
), ledger as (
  insert into app.stock_movements (variant_id, zone_id, kind, on_hand_delta, reserved_delta, reason,
                                   order_id, hold_id)
  select variant_id, zone_id, kind, on_hand_delta, reserved_delta, reason, order_id, hold_id
  from deltas
  returning 1
), expiry as (
  insert into app.jobs (tenant_id, kind, ref, run_at)
  select app.current_tenant(), $44, placed.id::text, $12 from placed
  on conflict (tenant_id, kind, ref) where status in ('queued', 'running')
  do update set run_at = least(app.jobs.run_at, excluded.run_at), updated_at = now()
  returning 1
)
select placed.id, placed.number, placed.created_at,
       (select count(*) from stock) as stock_rows, (select count(*) from ledger) as ledger_rows
from placed
