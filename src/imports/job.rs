//! Imports through the API: an upload is stored under the brand's prefix, recorded in
//! `app.imports` and queued (`import_products`, ref = import id) in one tenant transaction; the
//! worker then runs [`super::service::run`] and records the outcome.
//!
//! Progress reaches `app.imports` from a small task that writes the counters every 200 ms in
//! its own short transactions: the import's own transaction never touches its `app.imports`
//! row (it would block those writes and hide them until COMMIT anyway). The final state is
//! written after the import's transaction has committed. A worker that dies in between leaves
//! the job to be claimed again; the import then runs again and, its changes being committed,
//! finds nothing left to change.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI32, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use super::repo::ImportRecord;
use super::{
    repo::{self, Counters},
    report::Outcome,
    service::{self, ImportError, ImportOptions, Progress},
    state::ImportState,
};
use crate::{
    audit,
    db::{Db, DbError},
    error::ApiError,
    jobs::{self, JobError, JobKind},
    media::{ObjectKey, StorageError},
    scope::TenantScope,
};

/// Records how the import ended and its `import.finished` event, in one transaction.
async fn finish_import(
    tx: &crate::db::Tx<'_>,
    id: Uuid,
    finish: &repo::Finish<'_>,
) -> Result<(), DbError> {
    repo::finish_import(tx, id, finish).await?;
    crate::events::record(
        tx,
        crate::events::EventType::ImportFinished,
        &id.to_string(),
        serde_json::json!({
            "import_id": id,
            "state": finish.state,
            "rows": finish.counters.total,
            "applied": finish.counters.applied,
            "error_count": finish.error_count,
        }),
        None,
    )
    .await?;
    Ok(())
}

/// Errors kept in an import's report (the count is always complete).
pub const MAX_ERRORS_KEPT: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    /// Two header columns that normalise to one (`name@es`, `name@ES`).
    #[error("{0}")]
    DuplicateColumns(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Empty => ApiError::invalid_field("file", "the file is empty"),
            SubmitError::TooLarge(limit) => ApiError::payload_too_large(limit),
            SubmitError::DuplicateColumns(why) => ApiError::invalid_field("file", why),
            SubmitError::Storage(s) => ApiError::internal(s),
            SubmitError::Db(db) => db.into(),
        }
    }
}

/// A display name for an uploaded file: printable, at most 255 characters. Never used in a key.
fn display_name(raw: Option<&str>) -> String {
    let cleaned: String = raw
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(255)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "import.csv".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// What import jobs use: the pool, brand-keyed object storage, the storefront cache (an applied
/// import changes the catalog) and the upload size limit. Built by the composition root.
#[derive(Clone)]
pub struct ImportService {
    pub db: crate::db::Db,
    pub media: crate::media::MediaStore,
    pub cache: crate::cache::Cache,
    /// The largest CSV file an import may be (`IMPORT_MAX_BYTES`).
    pub import_max_bytes: usize,
}

/// Stores an uploaded file and queues its import; returns the new record.
pub async fn submit(
    state: &ImportService,
    scope: &TenantScope,
    file_name: Option<&str>,
    bytes: Bytes,
    dry_run: bool,
) -> Result<ImportRecord, SubmitError> {
    if bytes.is_empty() {
        return Err(SubmitError::Empty);
    }
    if bytes.len() > state.import_max_bytes {
        return Err(SubmitError::TooLarge(state.import_max_bytes));
    }
    if let Some(why) = super::format::duplicate_translated_columns(&bytes) {
        return Err(SubmitError::DuplicateColumns(why));
    }
    let id = Uuid::new_v4();
    let key = ObjectKey::import(scope, id, chrono::Utc::now());
    let file_name = display_name(file_name);
    let size = bytes.len() as i64;
    // The file first: a row never points at a file that is not there. If the transaction then
    // fails, an unreferenced file stays under the brand's own prefix.
    state.media.put(scope, &key, bytes).await?;
    let created_at = state
        .db
        .tenant_tx(scope, async |tx| {
            let created_at = repo::insert_import(
                tx,
                &repo::NewImport {
                    id,
                    file_name: &file_name,
                    object_key: key.as_str(),
                    size_bytes: size,
                    dry_run,
                },
            )
            .await?;
            jobs::enqueue(
                tx,
                JobKind::ImportProducts,
                &id.to_string(),
                chrono::Utc::now(),
            )
            .await?;
            audit::record(
                tx,
                "import.upload",
                &id.to_string(),
                serde_json::json!({"bytes": size, "dry_run": dry_run}),
            )
            .await?;
            Ok::<_, DbError>(created_at)
        })
        .await?;
    Ok(ImportRecord {
        id,
        file_name,
        object_key: key.as_str().to_owned(),
        size_bytes: size,
        dry_run,
        state: ImportState::Queued,
        rows_total: 0,
        rows_validated: 0,
        rows_applied: 0,
        summary: serde_json::json!({}),
        errors: serde_json::json!([]),
        error_count: 0,
        failure: None,
        created_at,
        started_at: None,
        finished_at: None,
    })
}

/// An import record of the scope's brand.
pub async fn get(db: &Db, scope: &TenantScope, id: Uuid) -> Result<Option<ImportRecord>, DbError> {
    db.tenant_tx(scope, async |tx| repo::import_by_id(tx, id).await)
        .await
}

/// Counters shared between the import and the task that writes them.
#[derive(Default)]
struct Shared {
    applying: AtomicBool,
    total: AtomicI32,
    validated: AtomicI32,
    applied: AtomicI32,
    dirty: AtomicBool,
}

impl Shared {
    fn counters(&self) -> Counters {
        Counters {
            total: self.total.load(Ordering::Relaxed),
            validated: self.validated.load(Ordering::Relaxed),
            applied: self.applied.load(Ordering::Relaxed),
        }
    }
}

fn clamp(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Progress for Shared {
    fn validating(&self, total: u64) {
        self.total.store(clamp(total), Ordering::Relaxed);
        self.dirty.store(true, Ordering::Release);
    }

    fn validated(&self, done: u64) {
        self.validated.store(clamp(done), Ordering::Relaxed);
        self.dirty.store(true, Ordering::Release);
    }

    fn applying(&self, _total: u64) {
        self.applying.store(true, Ordering::Relaxed);
        self.dirty.store(true, Ordering::Release);
    }

    fn applied(&self, done: u64) {
        self.applied.store(clamp(done), Ordering::Relaxed);
        self.dirty.store(true, Ordering::Release);
    }
}

/// Writes progress every 200 ms until stopped.
struct Reporter {
    shared: Arc<Shared>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Reporter {
    fn start(db: Db, scope: TenantScope, id: Uuid) -> Self {
        let shared = Arc::new(Shared::default());
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let shared = shared.clone();
            let stop = stop.clone();
            async move {
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                    if !shared.dirty.swap(false, Ordering::AcqRel) {
                        continue;
                    }
                    let state = if shared.applying.load(Ordering::Relaxed) {
                        ImportState::Applying
                    } else {
                        ImportState::Validating
                    };
                    let counters = shared.counters();
                    let written = db
                        .tenant_tx(&scope, async |tx| {
                            repo::set_progress(tx, id, state, counters).await
                        })
                        .await;
                    if let Err(e) = written {
                        tracing::debug!(error = %e, "import progress not written");
                    }
                }
            }
        });
        Self { shared, stop, task }
    }

    async fn stop(self) -> Counters {
        self.stop.cancel();
        let _ = self.task.await;
        self.shared.counters()
    }
}

/// The `import_products` job: runs the import `id` of the scope's brand and records its
/// outcome. `last_attempt`: a failure now is final, so the import is marked failed.
pub async fn run(
    state: &ImportService,
    scope: &TenantScope,
    id: Uuid,
    last_attempt: bool,
) -> Result<(), JobError> {
    let Some(record) = get(&state.db, scope, id).await? else {
        return Err(JobError::Permanent(format!("no import {id} in this brand")));
    };
    if record.state.is_final() {
        return Ok(()); // already recorded: a job claimed again after its worker died
    }
    state
        .db
        .tenant_tx(scope, async |tx| {
            repo::set_progress(tx, id, ImportState::Validating, Counters::default()).await
        })
        .await?;

    let key = match ObjectKey::stored(scope, &record.object_key) {
        Ok(key) => key,
        Err(e) => return fail(state, scope, id, &e.to_string()).await,
    };
    let bytes = match state.media.get(scope, &key).await {
        Ok(b) => b,
        Err(StorageError::Backend(e)) if !last_attempt => {
            return Err(JobError::Retry(format!("reading the import file: {e}")));
        }
        Err(e) => return fail(state, scope, id, &format!("reading the import file: {e}")).await,
    };

    let reporter = Reporter::start(state.db.clone(), scope.clone(), id);
    let source = id.to_string();
    let outcome = service::run(
        &state.db,
        scope,
        &bytes,
        &ImportOptions {
            dry_run: record.dry_run,
            source: &source,
        },
        &*reporter.shared.clone(),
    )
    .await;
    let counters = reporter.stop().await;

    let report = match outcome {
        Ok(report) => report,
        Err(ImportError::Conflict(why)) => return fail(state, scope, id, &why).await,
        Err(ImportError::Db(e)) if last_attempt => {
            let _ = fail(state, scope, id, "the import could not be completed").await;
            return Err(JobError::Permanent(e.to_string()));
        }
        Err(ImportError::Db(e)) => return Err(e.into()),
    };
    if report.changed_catalog() {
        state.cache.invalidate_catalog(scope).await;
    }
    let applied = match report.outcome {
        Outcome::Applied => {
            clamp(report.summary.products_created + report.summary.products_updated)
        }
        _ => 0,
    };
    let finish = repo::Finish {
        state: if report.outcome == Outcome::Invalid {
            ImportState::Failed
        } else {
            ImportState::Done
        },
        counters: Counters {
            total: clamp(report.summary.rows),
            validated: clamp(report.summary.rows).max(counters.validated),
            applied,
        },
        summary: Some(&report.summary),
        errors: &report.errors[..report.errors.len().min(MAX_ERRORS_KEPT)],
        error_count: clamp(report.errors.len() as u64),
        failure: (report.outcome == Outcome::Invalid)
            .then_some("the file has problems; nothing was imported"),
    };
    state
        .db
        .tenant_tx(scope, async |tx| finish_import(tx, id, &finish).await)
        .await?;
    Ok(())
}

async fn fail(
    state: &ImportService,
    scope: &TenantScope,
    id: Uuid,
    why: &str,
) -> Result<(), JobError> {
    let finish = repo::Finish {
        state: ImportState::Failed,
        counters: Counters::default(),
        summary: None,
        errors: &[],
        error_count: 0,
        failure: Some(why),
    };
    state
        .db
        .tenant_tx(scope, async |tx| finish_import(tx, id, &finish).await)
        .await?;
    Ok(())
}
