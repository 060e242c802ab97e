-- Credit notes (issue 14): a confirmed refund of an invoiced order gets a credit note, numbered
-- in its brand's own gapless series, which reverses the refunded part of the invoice.
--
-- Backward compatible for one release: a new table, a column with a default and a wider check
-- (every value the previous release writes is still allowed).

-- The credit-note series next to the invoice series (one row per brand and series).
alter table app.invoice_counters drop constraint invoice_counters_series;
alter table app.invoice_counters add constraint invoice_counters_series_v30
  check (series in ('invoice', 'credit_note')) not valid;
alter table app.invoice_counters validate constraint invoice_counters_series_v30;

-- The promotions' discount the invoice was issued for (printed on it since V27), stored with
-- its other totals: subtotal - discount + shipping (+ tax when prices exclude it) = total.
-- Invoices issued before this migration take the order's discount, which never changes after
-- checkout.
alter table app.invoices add column discount_minor bigint not null default 0
  constraint invoices_discount_nonnegative check (discount_minor >= 0);
update app.invoices i set discount_minor = o.discount_minor
from app.orders o
where o.tenant_id = i.tenant_id and o.id = i.order_id and o.discount_minor <> 0;

-- A confirmed refund's credit note, issued in the transaction that records the provider's
-- `refunded` callback: one per refund (refund_key), a number of the brand's `credit_note`
-- series taken under the counter row's lock (gapless, never reused), the invoice it corrects,
-- and the amounts it credits (tax included in total_minor, which is the refund's amount).
-- object_key: `{brand}/credit-notes/YYYY-MM/CN-{number}.pdf`, the month of issued_at in UTC.
-- status: pending (the render job has not stored the PDF yet), rendered (stored).
create table app.credit_notes (
  tenant_id       uuid not null default app.current_tenant() references app.tenants (id),
  id              uuid not null default gen_random_uuid(),
  number          bigint not null constraint credit_notes_number_positive check (number > 0),
  invoice_id      uuid not null,
  order_id        uuid not null,
  refund_id       uuid not null,
  issued_at       timestamptz not null,
  currency        text not null,
  subtotal_minor  bigint not null,
  shipping_minor  bigint not null,
  tax_minor       bigint not null,
  total_minor     bigint not null constraint credit_notes_total_positive check (total_minor > 0),
  object_key      text not null,
  status          text not null default 'pending'
                  constraint credit_notes_status check (status in ('pending', 'rendered')),
  size_bytes      integer,
  rendered_at     timestamptz,
  primary key (tenant_id, id),
  constraint credit_notes_number_key unique (tenant_id, number),
  constraint credit_notes_refund_key unique (tenant_id, refund_id),
  constraint credit_notes_invoice_fkey foreign key (tenant_id, invoice_id) references app.invoices (tenant_id, id),
  constraint credit_notes_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id),
  constraint credit_notes_refund_fkey foreign key (tenant_id, refund_id) references app.refunds (tenant_id, id),
  constraint credit_notes_rendered_complete check (status <> 'rendered' or (rendered_at is not null and size_bytes is not null))
);
alter table app.credit_notes enable row level security;
alter table app.credit_notes force row level security;
-- An order's credit notes, in number order (the listing and the downloads).
create index credit_notes_order_idx on app.credit_notes (tenant_id, order_id, number);
-- The foreign key's lookups from invoices.
create index credit_notes_invoice_idx on app.credit_notes (tenant_id, invoice_id);
