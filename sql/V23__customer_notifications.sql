-- Customer notifications: when an order is paid or shipped, the brand's own WhatsApp number
-- sends the customer an approved template message (outside the 24-hour customer service
-- window Meta allows templates only).

-- What a brand sends, per event: on or off, and the name of the template the brand's WhatsApp
-- Business Account has approved for it. The template's approved languages (Meta's codes, e.g.
-- en_US, es, ja) and the one to use when the customer's language is not among them.
create table app.notification_settings (
  tenant_id                  uuid not null default app.current_tenant() references app.tenants (id),
  paid_enabled               boolean not null default false,
  paid_template              text
                             constraint notification_settings_paid_template_format check (paid_template ~ '^[a-z0-9_]+$' and length(paid_template) <= 512),
  shipped_enabled            boolean not null default false,
  shipped_template           text
                             constraint notification_settings_shipped_template_format check (shipped_template ~ '^[a-z0-9_]+$' and length(shipped_template) <= 512),
  template_languages         text[] not null default '{en_US}'
                             constraint notification_settings_languages_count check (cardinality(template_languages) between 1 and 50),
  default_template_language  text not null default 'en_US'
                             constraint notification_settings_default_format check (default_template_language ~ '^[a-z]{2,3}(_[A-Z]{2})?$'),
  updated_at                 timestamptz not null default now(),
  primary key (tenant_id),
  -- An event that is on names its template.
  constraint notification_settings_paid_named check (not paid_enabled or paid_template is not null),
  constraint notification_settings_shipped_named check (not shipped_enabled or shipped_template is not null),
  constraint notification_settings_default_listed check (default_template_language = any (template_languages))
);
alter table app.notification_settings enable row level security;
alter table app.notification_settings force row level security;

-- One row per order and event: the record that makes sending idempotent. A job that runs
-- again finds the row and sends nothing more. status: pending (not sent yet, or a retryable
-- failure put it back), sending (a send is in flight, or was interrupted: never sent again
-- automatically, since Meta may have accepted it), sent (with Meta's message id), failed (Meta
-- refused it for good; the error kept).
create table app.customer_notifications (
  tenant_id    uuid not null default app.current_tenant() references app.tenants (id),
  id           uuid not null default gen_random_uuid(),
  order_id     uuid not null,
  event        text not null constraint customer_notifications_event check (event in ('paid', 'shipped')),
  template     text not null,
  language     text not null,
  status       text not null default 'pending'
               constraint customer_notifications_status check (status in ('pending', 'sending', 'sent', 'failed')),
  attempts     integer not null default 0,
  wamid        text,
  error_code   bigint,
  error_title  text constraint customer_notifications_error_length check (length(error_title) <= 300),
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  sent_at      timestamptz,
  primary key (tenant_id, id),
  constraint customer_notifications_once unique (tenant_id, order_id, event),
  constraint customer_notifications_order_fkey foreign key (tenant_id, order_id) references app.orders (tenant_id, id)
);
alter table app.customer_notifications enable row level security;
alter table app.customer_notifications force row level security;
