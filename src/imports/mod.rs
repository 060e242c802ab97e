//! Bulk catalog imports from CSV.
//!
//! - [`format`]: the file format, parsed and checked row by row (all problems, with lines and
//!   columns).
//! - [`service`]: validation against the brand's data, the plan (create / update / unchanged,
//!   by `handle`), and the all-or-nothing apply in one tenant transaction with set-based SQL.
//! - [`repo`]: the SQL.
//! - [`job`]: uploads through the API: stored in object storage, run by the job worker, with
//!   progress and the report in `app.imports`.
//! - [`api`]: `POST /v1/admin/imports`, `GET /v1/admin/imports/{id}`.
//! - [`cli`]: `brandhouse import products FILE --brand SLUG [--dry-run]`.

pub mod api;
pub mod cli;
pub mod format;
pub mod job;
pub mod repo;
pub mod report;
pub mod service;
pub mod state;
