//! brandhouse: one backend, one PostgreSQL database, several independent brands.
//!
//! Every brand sees only its own products, customers, orders, stock, conversations and files.
//! The guarantee lives in the database: tenant-owned tables have row-level security enabled and
//! forced, the API logs in as a role that owns nothing and cannot bypass RLS, and each request's
//! transaction carries its brand in `app.tenant_id`, set with `set_config(..., true)` (= SET
//! LOCAL) so it dies with the transaction. README.md describes the design.
//!
//! # Layout
//! - [`config`]: environment variables, validated at start-up.
//! - [`db`]: pools and [`db::Db::tenant_tx`], the tenant transaction every data access goes
//!   through.
//! - [`migrate`]: roles, embedded migrations (`sql/`), policies (`policies/`).
//! - [`tenants`]: brands, resolving a request's brand, [`tenants::TenantScope`], themes.
//! - [`identity`]: staff accounts, tokens, roles, the permission matrix, the access check.
//! - [`audit`]: the audit trail of staff writes.
//! - [`catalog`]: categories, products, generated variants and SKUs, storefront reads.
//! - [`cache`]: the tenant-keyed Redis cache (optional).
//! - [`inventory`]: shared zones, per-brand stock, the reservation engine, the ledger.
//! - [`orders`]: customers, checkout, payment confirmation, expiry, cancellation, fulfilment.
//! - [`analytics`]: owner analytics across brands, through the one BYPASSRLS pool.
//! - [`jobs`]: the job queue and its worker (order expiry, assistant replies, re-indexing,
//!   catalog imports).
//! - [`imports`]: bulk CSV catalog imports: format, validation, set-based apply, the job, the
//!   CLI.
//! - [`media`]: brand-keyed object storage (local directory or S3) and product images.
//! - [`chat`]: the WhatsApp assistant's building blocks: Meta webhook payloads and signatures,
//!   the Graph API and LLM clients, language detection, grounded replies.
//! - [`search`]: brand-scoped hybrid product search (BM25-style sparse vectors, optional dense
//!   embeddings): embedded `qdrant-edge` by default, a Qdrant server when configured.
//! - [`api`]: shared state, tags, health endpoints, the OpenAPI service.
//! - [`startup`]: the HTTP application, middleware, graceful shutdown.
//! - [`error`]: the error policy (RFC 9457 problem+json).
//! - [`payload`]: `RawJson`, pre-serialised JSON bodies with a declared schema.
//! - [`types`]: domain types parsed at the edge (SKU, quantity, email, names, codes) and the
//!   `text_enum!` macro for statuses and kinds.
//! - [`telemetry`]: tracing, logs, OTLP export.
//! - [`seed`]: demo data.
//! - [`cli`]: the command line.

pub mod analytics;
pub mod api;
pub mod audit;
pub mod cache;
pub mod catalog;
pub mod chat;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod identity;
pub mod imports;
pub mod inventory;
pub mod jobs;
pub mod media;
pub mod migrate;
pub mod orders;
pub mod payload;
pub mod search;
pub mod seed;
pub mod startup;
pub mod telemetry;
pub mod tenants;
pub mod types;
