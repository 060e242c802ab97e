//! The catalog: categories, products, generated variants with warehouse-readable SKUs, and
//! the storefront's cached reads, and their text per locale ([`translations`]).

pub mod admin_api;
pub mod api;
pub mod repo;
pub mod service;
pub mod sku;
pub mod status;
pub mod storefront;
pub mod translations;
mod translations_repo;
pub mod variants;
