//! brandhouse: one backend, one PostgreSQL database, several independent brands.
//!
//! Every brand sees only its own products, customers, orders, stock, conversations and files.
//! The guarantee lives in the database: tenant-owned tables have row-level security enabled and
//! forced, the API logs in as a role that owns nothing and cannot bypass RLS, and each request's
//! transaction carries its brand in `app.tenant_id`, set with `SET LOCAL` (= `set_config(..., true)`)
//! so it dies with the transaction. README.md describes the design.
//!
//! # Layout
//! Dependencies point one way, layer by layer; `tests/api/layers.rs` checks it from the source
//! (no file imports one that imports it back; no arrow points up; no domain reads another's
//! repo).
//!
//! **Plumbing** (may use only plumbing):
//! - [`config`]: environment variables, validated at start-up, and every part's settings.
//! - [`db`]: the API role's pool, [`db::Db::connect`] (refuses a privileged role), and the
//!   transactions: [`db::Db::tenant_tx`] for tenant data (every tenant-owned row is reached
//!   through it) and [`db::Db::global_tx`], with no tenant set, for the global tables (brands and
//!   their domains, staff accounts, tokens and memberships, zones, the job queue, WhatsApp
//!   numbers) and health checks; row-level security shows it no tenant-owned row.
//! - [`scope`]: [`scope::TenantScope`] (a resolved brand and who acts in it), [`scope::Actor`],
//!   [`scope::Role`]: what the tenant transaction, cache keys, object keys and vector queries
//!   are built from.
//! - [`types`]: domain types parsed at the edge (SKU, quantity, email, phone, names, codes,
//!   BCP 47 locales and `Accept-Language` negotiation),
//!   each refusing NUL, and the `text_enum!` macro behind every status and kind.
//! - [`error`]: the error policy (RFC 9457 problem+json), the shared [`error::DomainError`]
//!   core and the per-domain constraint tables. [`payload`]: pre-serialised JSON
//!   bodies with a declared schema. [`telemetry`]: tracing, logs, OTLP export.
//! - [`cache`]: the tenant-keyed Redis cache (optional). [`ratelimit`]: quotas per route group,
//!   per client and per brand, in process or shared through Redis. [`media::store`]: brand-keyed object
//!   storage. [`search`]: the brand-scoped vector index (embedded `qdrant-edge` or a Qdrant
//!   server). `chat::http` and `chat::llm`: outbound clients for OpenAI-compatible APIs (replies
//!   and embeddings). [`audit`]: the audit trail of staff writes. [`migrate`]: roles (and the
//!   runtime roles' passwords), embedded migrations (`sql/`), policies (`policies/`).
//!   [`metrics`]: the Prometheus registry behind `GET /metrics` (request counters and latency
//!   by route template, bounded brand labels, outbound call and cache counters).
//!
//! **Domains** (`service.rs` rules, `repo.rs` + `sql/` statements; may use plumbing and other
//! domains' services, never another domain's repo, never HTTP types or the app state):
//! - [`tenants`]: brands, resolving a request's brand, themes, onboarding, export and deletion.
//! - [`identity`]: staff accounts, tokens, roles, the permission matrix, the access check.
//! - [`catalog`]: categories, products, generated variants and SKUs, storefront reads, the
//!   brand's locales and translations (negotiated per storefront request).
//! - [`inventory`]: shared zones, per-brand stock, the reservation engine, the ledger.
//! - [`orders`]: customers, checkout, payment confirmation, expiry, cancellation, fulfilment
//!   (shipments with carrier and tracking, partial shipments, the pick list), returns and
//!   refunds (`orders::returns`: through the ledger, settled by the payment callback).
//! - [`delivery`]: shipping methods and tax rates per brand, and the pure pricing maths
//!   (per-line tax, shipping bands, totals) checkout charges with.
//! - [`promotions`]: promotions and promo codes per brand, the pure discount maths (stacking,
//!   allocation to lines), exact usage counting; storefront quotes.
//! - [`analytics`]: owner analytics across brands, through the one BYPASSRLS pool, which is
//!   built inside this module alone.
//! - [`jobs`]: the job queue (claims, retries, parking); the handlers are the domains'
//!   services, wired in the composition root.
//! - [`events`]: the transactional outbox of business events (`events::record`, called by
//!   the domains in their own transactions), the `LISTEN` hub, the polling list, the live
//!   streams (Server-Sent Events) and stream tickets.
//! - [`webhooks`]: signed outbound webhooks per brand (endpoints, deliveries fanned out by
//!   `events::record` in the event's transaction, the delivery job with retries, SSRF checks).
//! - [`imports`]: bulk CSV catalog imports. [`media`]: product images. [`chat`]: the WhatsApp
//!   assistant (webhook, replies, retrieval, support console).
//! - [`notify`]: customer notifications: an approved WhatsApp template message from the
//!   brand's own number when an order is paid or shipped (queued in the order's transaction,
//!   sent once by a job).
//! - [`invoices`]: one invoice per paid order, numbered in the brand's gapless series in the
//!   paying transaction, rendered to PDF by a job into the brand's storage, downloaded by
//!   staff and by the customer; one credit note per confirmed refund (its own series, issued
//!   in the confirming transaction, rendered and downloaded the same way); the brand's legal
//!   details.
//!
//! **HTTP** (may use domains and plumbing): each domain's `api.rs`/`admin_api.rs` (the
//! endpoints: extract, check access, call the service, map), the extractors
//! (`tenants::Storefront`/`StaffBrand`, `identity::extract::StaffAuth`), and [`api`] (the
//! spec's tags and the health endpoints; [`api::web`] serves the console and storefront built
//! from `web/`).
//!
//! **Composition root** (may use everything): [`startup`] (builds the state, assembles the
//! OpenAPI service, wires the job handlers, serves), [`cli`] (each command builds only what it
//! uses), [`seed`] (demo data).

pub mod analytics;
pub mod api;
pub mod audit;
pub mod cache;
pub mod catalog;
pub mod chat;
pub mod cli;
pub mod config;
pub mod db;
pub mod delivery;
pub mod error;
pub mod events;
pub mod identity;
pub mod imports;
pub mod inventory;
pub mod invoices;
pub mod jobs;
pub mod media;
pub mod metrics;
pub mod migrate;
pub mod notify;
pub mod orders;
pub mod payload;
pub mod promotions;
pub mod ratelimit;
pub mod scope;
pub mod search;
pub mod seed;
pub mod startup;
pub mod telemetry;
pub mod tenants;
pub mod types;
pub mod webhooks;
