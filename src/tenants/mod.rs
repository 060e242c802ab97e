//! Brands (tenants): finding the brand of a request, the scope value that carries it, the
//! public storefront theme, and creating brands.
//!
//! A [`TenantScope`] can only be made from a brand this module resolved; the tenant
//! transaction, the cache, object storage and the vector index accept nothing else, and build
//! their keys from it themselves.

pub mod admin_api;
pub mod api;
pub mod delete;
pub mod export;
mod model;
pub(crate) mod repo;
mod resolve;
pub mod service;

pub use model::{Theme, ThemeColors};
pub use resolve::{StaffBrand, Storefront, TENANT_HEADER, TenantError, TenantResolver};
