//! Import endpoints: upload a CSV file (it is stored and imported in the background), then
//! follow the job.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi, param::Path, payload::Json, types::multipart::Upload,
};
use uuid::Uuid;

use super::{
    format::RowError,
    job::{self, ImportRecord},
    report::Summary,
    state::ImportState,
};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    payload::DeferredMultipart,
    tenants::StaffBrand,
    types::Nullable,
};

/// A CSV upload.
#[derive(Debug, Multipart)]
pub struct ImportUpload {
    /// The CSV file: one row per product (README, "CSV import").
    pub file: Upload,
    /// Validate and report what would change, writing nothing.
    pub dry_run: Option<bool>,
}

/// One problem of an import file.
#[derive(Debug, Object)]
#[oai(rename = "ImportRowError")]
pub struct ImportRowError {
    /// The file's line where the record starts (the header is line 1).
    pub line: u64,
    /// The header column; `null` for a problem of the whole row or file.
    pub column: Nullable<String>,
    pub message: String,
}

/// One product the import created or updated.
#[derive(Debug, Object)]
#[oai(rename = "ImportExample")]
pub struct ImportExample {
    pub line: u64,
    pub handle: String,
    /// `create` or `update`.
    pub action: String,
    /// For updates: `name`, `description`, `status`, `price`, `category`, `options`.
    pub changes: Vec<String>,
}

/// What the import did (or, for a dry run, would do).
#[derive(Debug, Object)]
#[oai(rename = "ImportSummary")]
pub struct ImportSummary {
    pub rows: u64,
    pub products_created: u64,
    pub products_updated: u64,
    pub products_unchanged: u64,
    pub variants_created: u64,
    pub variants_reactivated: u64,
    pub variants_deactivated: u64,
    /// Units of initial stock received into zones (ledger `receive` movements).
    pub units_received: u64,
    pub examples: Vec<ImportExample>,
}

/// An import job.
#[derive(Debug, Object)]
#[oai(rename = "Import")]
pub struct ImportView {
    pub id: Uuid,
    /// `queued`, `validating`, `applying`, `done` or `failed` (the file has problems, listed in
    /// `errors`, or `failure` says why it could not run; nothing was imported).
    pub state: ImportState,
    pub dry_run: bool,
    /// The uploaded file's name.
    pub file_name: String,
    pub size_bytes: i64,
    /// Data rows in the file.
    pub rows_total: i32,
    pub rows_validated: i32,
    /// Products written so far (created or updated).
    pub rows_applied: i32,
    /// Set once the import has finished validating; `null` before.
    pub summary: Nullable<ImportSummary>,
    /// Problems with their line and column (at most 1000; `error_count` has them all).
    pub errors: Vec<ImportRowError>,
    pub error_count: i32,
    pub failure: Nullable<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Nullable<DateTime<Utc>>,
    pub finished_at: Nullable<DateTime<Utc>>,
}

impl From<ImportRecord> for ImportView {
    fn from(r: ImportRecord) -> Self {
        let summary: Option<Summary> = r
            .summary
            .as_object()
            .filter(|o| !o.is_empty())
            .and_then(|_| serde_json::from_value(r.summary.clone()).ok());
        let errors: Vec<RowError> = serde_json::from_value(r.errors).unwrap_or_default();
        Self {
            id: r.id,
            state: r.state,
            dry_run: r.dry_run,
            file_name: r.file_name,
            size_bytes: r.size_bytes,
            rows_total: r.rows_total,
            rows_validated: r.rows_validated,
            rows_applied: r.rows_applied,
            summary: Nullable::from(summary.map(|s| {
                ImportSummary {
                    rows: s.rows,
                    products_created: s.products_created,
                    products_updated: s.products_updated,
                    products_unchanged: s.products_unchanged,
                    variants_created: s.variants_created,
                    variants_reactivated: s.variants_reactivated,
                    variants_deactivated: s.variants_deactivated,
                    units_received: s.units_received,
                    examples: s
                        .examples
                        .into_iter()
                        .map(|e| ImportExample {
                            line: e.line,
                            handle: e.handle,
                            action: e.action,
                            changes: e.changes,
                        })
                        .collect(),
                }
            })),
            errors: errors
                .into_iter()
                .map(|e| ImportRowError {
                    line: e.line,
                    column: e.column.into(),
                    message: e.message,
                })
                .collect(),
            error_count: r.error_count,
            failure: r.failure.into(),
            created_at: r.created_at,
            started_at: r.started_at.into(),
            finished_at: r.finished_at.into(),
        }
    }
}

#[derive(ApiResponse)]
pub enum ImportAccepted {
    /// Stored and queued; follow it at `GET /v1/admin/imports/{id}`.
    #[oai(status = 202)]
    Accepted(Json<ImportView>),
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct ImportsApi {
    /// The pool, storage and limits imports use.
    pub imports: super::job::ImportService,
}

#[OpenApi]
impl ImportsApi {
    /// Uploads a CSV file of products (`multipart/form-data`: `file`, optional `dry_run`). The
    /// file is stored under the brand's prefix and imported in the background: every row is
    /// validated first (all problems are reported, with line and column), then the whole file
    /// is applied in one transaction, or nothing is. Products are matched by `handle`:
    /// importing the same file again changes nothing. At most `IMPORT_MAX_BYTES` (413 beyond).
    ///
    /// Permission `imports.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/imports",
        method = "post",
        operation_id = "createImport",
        tag = "ApiTags::Imports"
    )]
    async fn create(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: DeferredMultipart<ImportUpload>,
    ) -> Result<ImportAccepted, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ImportsManage)?;
        let upload = body.parse().await?;
        if upload.file.size() > self.imports.import_max_bytes {
            return Err(ApiError::payload_too_large(self.imports.import_max_bytes));
        }
        let file_name = upload.file.file_name().map(str::to_owned);
        let bytes = upload.file.into_vec().await.map_err(ApiError::internal)?;
        let record = job::submit(
            &self.imports,
            &scope,
            file_name.as_deref(),
            bytes.into(),
            upload.dry_run.unwrap_or(false),
        )
        .await?;
        Ok(ImportAccepted::Accepted(Json(record.into())))
    }

    /// An import's state, progress (rows validated, products written), summary and error
    /// report.
    ///
    /// Permission `imports.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/imports/:id",
        method = "get",
        operation_id = "getImport",
        tag = "ApiTags::Imports"
    )]
    async fn get(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        /// The import's id.
        id: Path<Uuid>,
    ) -> Result<Json<ImportView>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ImportsManage)?;
        let record = job::get(&self.imports.db, &scope, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("no such import"))?;
        Ok(Json(record.into()))
    }
}
