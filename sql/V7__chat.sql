-- The per-brand WhatsApp assistant: settings, conversations, messages.

-- Which brand a WhatsApp business number belongs to. Global: Meta's webhooks name the number
-- (metadata.phone_number_id), not the brand, so the brand is found from it before any tenant
-- is known. No secrets here.
create table app.whatsapp_numbers (
  phone_number_id  text primary key
                   constraint whatsapp_numbers_format check (phone_number_id ~ '^[0-9]{5,32}$'),
  tenant_id        uuid not null references app.tenants (id) on delete cascade,
  constraint whatsapp_numbers_tenant_key unique (tenant_id)
);

-- A brand's assistant. The access token and the optional Meta app secret / verify token
-- overrides are secrets: never returned by any endpoint, never logged.
create table app.chat_settings (
  tenant_id         uuid not null default app.current_tenant() references app.tenants (id),
  phone_number_id   text,
  access_token      text,
  persona           text not null default ''
                    constraint chat_settings_persona_length check (length(persona) <= 4000),
  tone              text not null default ''
                    constraint chat_settings_tone_length check (length(tone) <= 1000),
  languages         text[] not null default '{en}',
  default_language  text not null default 'en'
                    constraint chat_settings_language_format check (default_language ~ '^[a-z]{2}$'),
  -- {"en": "Hi! ...", "es": "¡Hola! ..."}
  greetings         jsonb not null default '{}' constraint chat_settings_greetings_object check (jsonb_typeof(greetings) = 'object'),
  fallbacks         jsonb not null default '{}' constraint chat_settings_fallbacks_object check (jsonb_typeof(fallbacks) = 'object'),
  handoff_keywords  text[] not null default '{}',
  app_secret        text,
  verify_token      text,
  updated_at        timestamptz not null default now(),
  primary key (tenant_id)
);
alter table app.chat_settings enable row level security;
alter table app.chat_settings force row level security;

create table app.conversations (
  tenant_id        uuid not null default app.current_tenant() references app.tenants (id),
  id               uuid not null default gen_random_uuid(),
  customer_id      uuid not null,
  wa_id            text not null,
  -- 'bot' answers; 'human' means staff took over (handoff keyword or a staff reply).
  state            text not null default 'bot' constraint conversations_state check (state in ('bot', 'human')),
  language         text constraint conversations_language_format check (language ~ '^[a-z]{2}$'),
  last_inbound_at  timestamptz,
  last_message_at  timestamptz,
  created_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint conversations_wa_id_key unique (tenant_id, wa_id),
  constraint conversations_customer_fkey foreign key (tenant_id, customer_id) references app.customers (tenant_id, id)
);
alter table app.conversations enable row level security;
alter table app.conversations force row level security;
create index conversations_recent_idx on app.conversations (tenant_id, last_message_at desc);

create table app.chat_messages (
  tenant_id        uuid not null default app.current_tenant() references app.tenants (id),
  id               uuid not null default gen_random_uuid(),
  conversation_id  uuid not null,
  direction        text not null constraint chat_messages_direction check (direction in ('inbound', 'outbound')),
  -- Meta's message id; an inbound message delivered twice is stored once.
  wamid            text,
  kind             text not null default 'text',
  body             text,
  author           text not null constraint chat_messages_author check (author in ('customer', 'bot', 'staff')),
  author_user_id   uuid,
  -- For a bot reply: the inbound message it answers (one reply per inbound message).
  reply_to         uuid,
  -- inbound: received; outbound: pending -> sent -> delivered -> read, or failed.
  status           text not null
                   constraint chat_messages_status check (status in ('received', 'pending', 'sent', 'delivered', 'read', 'failed')),
  error_code       bigint,
  error_title      text,
  created_at       timestamptz not null default now(),
  status_at        timestamptz,
  primary key (tenant_id, id),
  constraint chat_messages_conversation_fkey foreign key (tenant_id, conversation_id) references app.conversations (tenant_id, id)
);
alter table app.chat_messages enable row level security;
alter table app.chat_messages force row level security;
create unique index chat_messages_wamid_key on app.chat_messages (tenant_id, wamid) where wamid is not null;
create unique index chat_messages_reply_key on app.chat_messages (tenant_id, reply_to) where reply_to is not null;
create index chat_messages_conversation_idx on app.chat_messages (tenant_id, conversation_id, created_at);
