-- Invoices (issue 14): the seller's legal details printed on a brand's invoices, a gapless
-- invoice number series per brand, and one invoice per paid order (its number, the totals it
-- was issued for, and where its PDF is stored).

-- The seller as the brand's invoices name it. No row: no details yet (invoices still render,
-- under the brand's display name). logo_key is an object key of the brand's own storage
-- (checked against the brand's prefix by the service, and again when it is read back).
create table app.invoice_settings (
  tenant_id      uuid not null default app.current_tenant() references app.tenants (id),
  legal_name     text constraint invoice_settings_legal_name_length check (length(legal_name) between 1 and 200),
  address_lines  text[] not null default '{}'
                 constraint invoice_settings_address_count check (cardinality(address_lines) <= 6),
  tax_id         text constraint invoice_settings_tax_id_length check (length(tax_id) between 1 and 50),
  logo_key       text constraint invoice_settings_logo_key_length check (length(logo_key) between 1 and 1024),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id)
);
alter table app.invoice_settings enable row level security;
alter table app.invoice_settings force row level security;

-- One number series per brand and kind of document. The transaction that marks an order paid
-- increments its brand's row (an upsert, which locks the row until COMMIT): concurrent payments
-- of one brand take numbers one after another, and a payment that rolls back takes its
-- increment with it, so the numbers have no gaps and none is used twice. Credit notes (once
-- refunds exist) get a series of their own.
create table app.invoice_counters (
  tenant_id    uuid not null default app.current_tenant() references app.tenants (id),
  series       text not null constraint invoice_counters_series check (series in ('invoice')),
  last_number  bigint not null constraint invoice_counters_positive check (last_number > 0),
  primary key (tenant_id, series)
);
alter table app.invoice_counters enable row level security;
alter table app.invoice_counters force row level security;

-- An order's invoice, issued in the transaction that marked the order paid. The totals are
-- those the invoice was issued for; object_key is where the PDF is (or will be) stored:
-- `{brand}/invoices/YYYY-MM/INV-{number}.pdf`, the month of issued_at in UTC. status: pending
-- (the render job has not stored the PDF yet), rendered (stored, size_bytes set).
create table app.invoices (
  tenant_id       uuid not null default app.current_tenant() references app.tenants (id),
  id              uuid not null default gen_random_uuid(),
  number          bigint not null constraint invoices_number_positive check (number > 0),
  order_id        uuid not null,
  issued_at       timestamptz not null,
  currency        text not null,
  subtotal_minor  bigint not null,
  shipping_minor  bigint not null,
  tax_minor       bigint not null,
  total_minor     bigint not null,
  object_key      text not null,
  status          text not null default 'pending'
                  constraint invoices_status check (status in ('pending', 'rendered')),
  size_bytes      integer,
  rendered_at     timestamptz,
  primary key (tenant_id, id),
  constraint invoices_number_key unique (tenant_id, number),
  constraint invoices_order_key unique (tenant_id, order_id),
  constraint invoices_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id),
  constraint invoices_rendered_complete check (status <> 'rendered' or (rendered_at is not null and size_bytes is not null))
);
alter table app.invoices enable row level security;
alter table app.invoices force row level security;
