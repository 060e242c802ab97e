//! Inventory: shared warehouse zones, per-brand stock, the reservation engine and the ledger.

pub mod api;
pub mod engine;
pub mod movement;
pub mod repo;
pub mod service;
