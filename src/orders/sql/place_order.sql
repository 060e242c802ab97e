-- Writes a placed order in one statement, sent with the order.created event and the COMMIT in
-- one round trip (orders::checkout::place), so checkout holds the brand's order counter for the
-- end of this statement, the event and the COMMIT only, with no round trip in between:
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
-- $1 the brand (every row's tenant_id), $2 name, $3 email, $4 phone, $5 language, $6 order id,
-- $7 currency, $8 total, $9 units, $10 preferred zone, $11 idempotency key, $12 request hash,
-- $13 holds_expire_at, $14 subtotal, $15 shipping, $16 tax, $17 prices_include_tax, $18 shipping
-- address, $19 billing address, $20/$21 shipping method code/name; lines $22..$31; holds
-- $32..$36; stock deltas and ledger rows $37..$44; $45 the expiry job's kind.
with customer as (
  insert into app.customers as cu (tenant_id, name, email, phone, preferred_language)
  values ($1, $2, $3, $4, $5)
  on conflict (tenant_id, email) where email is not null
  do update set name = case when cu.name = '' then excluded.name else cu.name end,
                phone = coalesce(cu.phone, excluded.phone),
                preferred_language = coalesce(cu.preferred_language, excluded.preferred_language),
                updated_at = now()
  returning id
), counter as (
  insert into app.order_counters as c (tenant_id, last_number) values ($1, 1)
  on conflict (tenant_id) do update set last_number = c.last_number + 1
  returning last_number
), placed as (
  insert into app.orders (tenant_id, id, number, customer_id, currency, total_minor, units,
                          preferred_zone_id, idempotency_key, request_hash, holds_expire_at,
                          customer_name, customer_phone, subtotal_minor, shipping_minor,
                          tax_minor, prices_include_tax, shipping_address, billing_address,
                          shipping_method_code, shipping_method_name)
  select $1, $6, counter.last_number, customer.id, $7, $8, $9, $10, $11, $12, $13, $2, $4,
         $14, $15, $16, $17, $18, $19, $20, $21
  from customer, counter
  returning id, number, created_at
), lines as (
  insert into app.order_lines (tenant_id, id, order_id, position, variant_id, sku, quantity,
                               unit_price_minor, tax_class, tax_rate_bp, tax_minor,
                               line_total_minor)
  select $1, l.id, $6, l.position, l.variant_id, l.sku, l.quantity, l.unit_price_minor,
         l.tax_class, l.tax_rate_bp, l.tax_minor, l.line_total_minor
  from unnest($22::uuid[], $23::int[], $24::uuid[], $25::text[], $26::int[], $27::bigint[],
              $28::text[], $29::int[], $30::bigint[], $31::bigint[])
    as l(id, position, variant_id, sku, quantity, unit_price_minor, tax_class, tax_rate_bp,
         tax_minor, line_total_minor)
  returning id
), holds as (
  insert into app.holds (tenant_id, id, order_id, order_line_id, variant_id, zone_id, quantity,
                         status, expires_at)
  select $1, h.id, $6, h.line_id, h.variant_id, h.zone_id, h.quantity, 'active', $13
  from unnest($32::uuid[], $33::uuid[], $34::uuid[], $35::uuid[], $36::int[])
    as h(id, line_id, variant_id, zone_id, quantity)
  returning id
), deltas as (
  select * from unnest($37::uuid[], $38::uuid[], $39::text[], $40::int[], $41::text[],
                       $42::uuid[], $43::uuid[], $44::int[])
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
  where s.tenant_id = $1 and s.variant_id = d.variant_id and s.zone_id = d.zone_id
  returning 1
), ledger as (
  insert into app.stock_movements (tenant_id, variant_id, zone_id, kind, on_hand_delta,
                                   reserved_delta, reason, order_id, hold_id)
  select $1, variant_id, zone_id, kind, on_hand_delta, reserved_delta, reason, order_id, hold_id
  from deltas
  returning 1
), expiry as (
  insert into app.jobs (tenant_id, kind, ref, run_at)
  values ($1, $45, $6::text, $13)
  on conflict (tenant_id, kind, ref) where status in ('queued', 'running')
  do update set run_at = least(app.jobs.run_at, excluded.run_at), updated_at = now()
  returning 1
)
-- The output's expressions run left to right, each CTE when first read: everything else is
-- written before the counter is taken (by `placed`, read last), so the brand's counter is held
-- for the order row, the end-of-statement checks and triggers, the event and the COMMIT.
select (select count(*) from customer) + (select count(*) from lines)
         + (select count(*) from holds) + (select count(*) from expiry) as written,
       (select count(*) from stock) as stock_rows, (select count(*) from ledger) as ledger_rows,
       (select id from placed) as id, (select number from placed) as number,
       (select created_at from placed) as created_at
