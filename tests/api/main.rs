//! The integration suite: one binary, so it links once. Every test gets its own database,
//! cloned from a migrated template, and the service connects as the API role.

// Test code: a panic is the failure report (clippy.toml lets #[test] functions unwrap; the
// helpers and fixtures here do too), and a scenario reads best as one function top to bottom.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test code: a panic is the failure report; scenarios read top to bottom"
)]

mod access;
mod accounts;
mod analytics;
mod audit;
mod availability;
mod brand_delete;
mod brand_export;
mod catalog;
mod chat;
mod checkout_caps;
mod concurrency;
mod conformance;
mod credit_notes;
mod delivery;
mod documents;
mod errors;
mod events;
mod global_tables;
mod helpers;
mod imports;
mod invoices;
mod isolation;
mod layers;
mod metrics;
mod migrations;
mod notifications;
mod openapi;
mod orders;
mod pool;
mod private_pg;
mod process;
mod promotions;
mod rate_limits;
mod resilience;
mod returns;
mod roles;
mod shipments;
mod shutdown;
mod storefront;
mod tenant_predicates;
mod tls;
mod translations;
mod webhooks;
mod whatsapp_numbers;
mod worker;
