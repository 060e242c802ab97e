//! The integration suite: one binary, so it links once. Every test gets its own database,
//! cloned from a migrated template, and the service connects as the API role.

mod access;
mod analytics;
mod audit;
mod availability;
mod catalog;
mod chat;
mod concurrency;
mod errors;
mod helpers;
mod imports;
mod isolation;
mod layers;
mod migrations;
mod openapi;
mod orders;
mod pool;
mod process;
mod roles;
mod storefront;
