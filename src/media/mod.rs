//! Object storage and product media.
//!
//! - [`store`]: the brand-keyed object store (local directory or S3) and the only way to make
//!   a key, [`store::ObjectKey`], from a resolved scope.
//! - [`service`]: product images: type checked by magic bytes, size limit, list, delete, the
//!   storefront's reads and URLs.
//! - [`api`]: the staff endpoints and the storefront's image endpoint.

pub mod api;
mod repo;
pub mod service;
pub mod store;

pub use store::{MediaName, MediaStore, ObjectKey, StorageError};
