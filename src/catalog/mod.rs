//! The catalog. So far: categories, the first tenant-owned table.

pub mod api;
pub mod repo;
