//! The job queue: background work as rows of references (brand, kind, ref), never tenant data.
//!
//! Jobs are enqueued inside the transaction that creates the work (an order's expiry is queued
//! with the order), so work is never lost. Workers (one per replica by default; any number may
//! run) claim due jobs with `FOR UPDATE SKIP LOCKED`, run each in a tenant transaction for the
//! job's brand, and then mark it done, or retry it with exponential backoff, or park it after
//! `max_attempts` with its error (visible to the owner). A claim lapses after
//! `JOB_CLAIM_SECS`, so a worker that dies mid-job does not lose it. Handlers must be
//! idempotent: a job may run again after a lapsed claim.

pub mod repo;
pub mod status;

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use repo::{Claimed, ParkedJob};

pub use crate::config::WorkerSettings;
use crate::{
    db::{Db, DbError, Tx},
    scope::{Actor, TenantScope},
    tenants::{TenantError, TenantResolver},
};
use status::JobStatus;

/// Kinds of work, and the ref each names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Expire an unpaid order whose holds ran out (ref: order id).
    ExpireOrder,
    /// Answer an inbound WhatsApp message (ref: message id).
    ChatReply,
    /// Re-index one product for the assistant's search (ref: product id).
    ReindexProduct,
    /// Re-index every product of the brand (ref: `all`).
    ReindexBrand,
    /// Run an uploaded CSV import (ref: import id).
    ImportProducts,
    /// Send one webhook delivery (ref: delivery id).
    DeliverWebhook,
    /// Tell a customer their order was paid or shipped (ref: `<order id>:<event>`).
    NotifyCustomer,
    /// Render a paid order's invoice PDF into the brand's storage (ref: invoice id).
    RenderInvoice,
    /// Render a confirmed refund's credit note PDF into the brand's storage (ref: credit note
    /// id).
    RenderCreditNote,
}

impl JobKind {
    /// Every kind, for listings that must show idle kinds too.
    pub const ALL: [JobKind; 9] = [
        JobKind::ExpireOrder,
        JobKind::ChatReply,
        JobKind::ReindexProduct,
        JobKind::ReindexBrand,
        JobKind::ImportProducts,
        JobKind::DeliverWebhook,
        JobKind::NotifyCustomer,
        JobKind::RenderInvoice,
        JobKind::RenderCreditNote,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::ExpireOrder => "expire_order",
            JobKind::ChatReply => "chat_reply",
            JobKind::ReindexProduct => "reindex_product",
            JobKind::ReindexBrand => "reindex_brand",
            JobKind::ImportProducts => "import_products",
            // Also written by `events/sql/record.sql` (the webhook fan-out).
            JobKind::DeliverWebhook => "deliver_webhook",
            JobKind::NotifyCustomer => "notify_customer",
            JobKind::RenderInvoice => "render_invoice",
            JobKind::RenderCreditNote => "render_credit_note",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "expire_order" => Some(JobKind::ExpireOrder),
            "chat_reply" => Some(JobKind::ChatReply),
            "reindex_product" => Some(JobKind::ReindexProduct),
            "reindex_brand" => Some(JobKind::ReindexBrand),
            "import_products" => Some(JobKind::ImportProducts),
            "deliver_webhook" => Some(JobKind::DeliverWebhook),
            "notify_customer" => Some(JobKind::NotifyCustomer),
            "render_invoice" => Some(JobKind::RenderInvoice),
            "render_credit_note" => Some(JobKind::RenderCreditNote),
            _ => None,
        }
    }
}

/// Why a job attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth retrying later (a database hiccup, a rate-limited API).
    #[error("{0}")]
    Retry(String),
    /// Retrying cannot help: park now, keeping the error.
    #[error("{0}")]
    Permanent(String),
    /// Worth retrying after `delay`, which the handler chose (a server's `Retry-After`, its
    /// own backoff with jitter) instead of the queue's backoff.
    #[error("{message}")]
    RetryIn { delay: Duration, message: String },
}

impl From<DbError> for JobError {
    fn from(e: DbError) -> Self {
        JobError::Retry(e.to_string())
    }
}

impl From<TenantError> for JobError {
    fn from(e: TenantError) -> Self {
        match e {
            TenantError::Db(db) => db.into(),
            other => JobError::Permanent(other.to_string()),
        }
    }
}

/// Queues a job inside the caller's transaction (the brand is the transaction's).
pub async fn enqueue(
    tx: &Tx<'_>,
    kind: JobKind,
    reference: &str,
    run_at: DateTime<Utc>,
) -> Result<(), DbError> {
    repo::insert(tx, kind.as_str(), reference, run_at).await
}

/// The delay before retry number `attempt` (1-based): 2^attempt seconds, capped at 10 minutes.
pub fn backoff(attempt: i32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempt.clamp(1, 20) as u32).min(600))
}

async fn claim(state: &Queue, settings: &WorkerSettings) -> Result<Vec<Claimed>, DbError> {
    state
        .db
        .global_tx(&Actor::System, async |tx| {
            repo::claim(tx, settings.batch, settings.claim.as_secs_f64()).await
        })
        .await
}

async fn finish(
    state: &Queue,
    job: &Claimed,
    outcome: &Result<(), JobError>,
) -> Result<(), DbError> {
    state
        .db
        .global_tx(&Actor::System, async |tx| {
            match outcome {
                Ok(()) => repo::complete(tx, job.id).await?,
                Err(e) => {
                    let permanent = matches!(e, JobError::Permanent(_));
                    let delay = match e {
                        JobError::RetryIn { delay, .. } => delay.as_secs_f64(),
                        _ => backoff(job.attempts).as_secs_f64(),
                    };
                    let message: String = e.to_string().chars().take(2000).collect();
                    let status = repo::retry(tx, job.id, delay, &message, permanent).await?;
                    if status == JobStatus::Parked {
                        tracing::warn!(job.id = job.id, job.kind = %job.kind, tenant.id = %job.tenant_id, attempts = job.attempts, "job parked");
                    }
                }
            }
            Ok(())
        })
        .await
}

/// Runs one claimed job in its brand's scope. The queue knows no domain: the composition root
/// (`startup.rs`) implements this and calls the domain service each kind names. Handlers must be
/// idempotent (a job may run again after a lapsed claim).
#[async_trait::async_trait]
pub trait Handler: Send + Sync {
    /// Runs `job`, whose kind has been parsed, for the brand of `scope`.
    async fn run(&self, kind: JobKind, scope: &TenantScope, job: &Claimed) -> Result<(), JobError>;

    /// Housekeeping the worker runs about once an hour, beside purging finished jobs.
    async fn hourly(&self) {}
}

impl Claimed {
    /// The job's ref as an id (most kinds name a row); a ref that is not one is permanent.
    pub fn ref_id(&self) -> Result<Uuid, JobError> {
        self.reference
            .parse()
            .map_err(|_| JobError::Permanent("the ref is not an id".into()))
    }

    /// True when this attempt is the last before the job is parked.
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

/// What the queue itself needs: the pool (claims, outcomes) and brand lookups (each job runs in
/// a scope for the brand it names).
#[derive(Clone)]
pub struct Queue {
    pub db: Db,
    pub tenants: TenantResolver,
}

/// Runs one job's handler in its brand's scope.
async fn run_job<H: Handler + ?Sized>(
    state: &Queue,
    handler: &H,
    job: &Claimed,
) -> Result<(), JobError> {
    let Some(kind) = JobKind::parse(&job.kind) else {
        return Err(JobError::Permanent(format!(
            "unknown job kind {:?}",
            job.kind
        )));
    };
    let scope = state
        .tenants
        .scope_for_id(job.tenant_id, Actor::System)
        .await?;
    handler.run(kind, &scope, job).await
}

/// Claims one batch of due jobs (fairly across brands) and runs them, up to
/// `settings.concurrency` brands at once, each brand's jobs in order; returns how many ran. A
/// job that panics is parked with the panic's message: a bug in one job never stops the worker
/// or the other jobs. Several callers may run this at once (tests do, to prove a job runs
/// once).
pub async fn run_due<H: Handler + ?Sized>(
    state: &Queue,
    handler: &H,
    settings: &WorkerSettings,
) -> Result<usize, DbError> {
    run_due_until(state, handler, settings, &CancellationToken::new()).await
}

/// [`run_due`], stopping early when `stop` fires: the jobs in hand finish, and the claimed
/// jobs not yet started go back to the queue at once ([`repo::release`]), uncounted, for
/// another replica to take now rather than when their claim lapses. Returns how many ran.
pub async fn run_due_until<H: Handler + ?Sized>(
    state: &Queue,
    handler: &H,
    settings: &WorkerSettings,
    stop: &CancellationToken,
) -> Result<usize, DbError> {
    use futures::StreamExt as _;
    if stop.is_cancelled() {
        return Ok(0);
    }
    let jobs = claim(state, settings).await?;
    // One brand's jobs run one after another, in claim order (as before: its jobs touch the
    // same rows); different brands' run side by side. The futures are made up front (no
    // closure lives across an await), then polled at most `concurrency` at a time.
    let mut by_brand: Vec<(Uuid, Vec<&Claimed>)> = Vec::new();
    for job in &jobs {
        match by_brand
            .iter_mut()
            .find(|(brand, _)| *brand == job.tenant_id)
        {
            Some((_, queue)) => queue.push(job),
            None => by_brand.push((job.tenant_id, vec![job])),
        }
    }
    let runs: Vec<_> = by_brand
        .into_iter()
        .map(|(_, queue)| async move {
            let mut ran = 0;
            let mut unstarted = Vec::new();
            for job in queue {
                if stop.is_cancelled() {
                    unstarted.push(job.id);
                } else {
                    run_and_finish(state, handler, job).await?;
                    ran += 1;
                }
            }
            Ok::<_, DbError>((ran, unstarted))
        })
        .collect();
    let finished: Vec<Result<(usize, Vec<i64>), DbError>> = futures::stream::iter(runs)
        .buffer_unordered(settings.concurrency.max(1))
        .collect()
        .await;
    let mut ran = 0;
    let mut unstarted = Vec::new();
    for result in finished {
        let (n, ids) = result?;
        ran += n;
        unstarted.extend(ids);
    }
    if !unstarted.is_empty() {
        let released = state
            .db
            .global_tx(&Actor::System, async |tx| {
                repo::release(tx, &unstarted).await
            })
            .await?;
        tracing::info!(
            jobs.released = released,
            "shutting down: claimed jobs handed back to the queue"
        );
    }
    Ok(ran)
}

/// Runs one claimed job, a panic included, and records its outcome.
async fn run_and_finish<H: Handler + ?Sized>(
    state: &Queue,
    handler: &H,
    job: &Claimed,
) -> Result<(), DbError> {
    use futures::FutureExt as _;
    let span = tracing::info_span!("job", job.id = job.id, job.kind = %job.kind, tenant.id = %job.tenant_id);
    let run = tracing::Instrument::instrument(run_job(state, handler, job), span);
    let outcome = std::panic::AssertUnwindSafe(run)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Err(JobError::Permanent(format!("the job panicked: {message}")))
        });
    if let Err(e) = &outcome {
        tracing::warn!(job.id = job.id, job.kind = %job.kind, error = %e, "job attempt failed");
    }
    finish(state, job, &outcome).await
}

/// The worker loop: polls for due jobs until `shutdown`. Then it claims nothing more,
/// finishes the jobs in hand and hands the claimed jobs it had not started back to the queue.
pub async fn run_worker(
    state: Queue,
    handler: std::sync::Arc<dyn Handler>,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) {
    {
        let mut since_purge = Duration::ZERO;
        while !shutdown.is_cancelled() {
            let ran = match run_due_until(&state, &*handler, &settings, &shutdown).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "job worker could not claim jobs");
                    0
                }
            };
            since_purge += settings.poll;
            if since_purge > Duration::from_secs(3600) {
                since_purge = Duration::ZERO;
                let _ = state
                    .db
                    .global_tx(&Actor::System, async |tx| repo::purge(tx).await)
                    .await;
                handler.hourly().await;
            }
            if ran as i64 == settings.batch {
                continue; // more may be due
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(settings.poll) => {}
            }
        }
        tracing::info!("job worker stopped");
    }
}

/// The most recently parked jobs of every brand, for the owner.
pub async fn parked(db: &Db, actor: &Actor, limit: i64) -> Result<Vec<ParkedJob>, DbError> {
    db.global_tx(actor, async |tx| repo::parked(tx, limit).await)
        .await
}

/// The queue's depth per kind, for `/metrics`: every known kind appears (zero when idle), so
/// a dashboard's series do not vanish while a queue is empty.
pub async fn depth(db: &Db) -> Result<Vec<repo::KindDepth>, DbError> {
    let mut found = db
        .global_tx(&Actor::System, async |tx| repo::depth(tx).await)
        .await?;
    for kind in JobKind::ALL {
        if !found.iter().any(|d| d.kind == kind.as_str()) {
            found.push(repo::KindDepth {
                kind: kind.as_str().to_owned(),
                queued: 0,
                running: 0,
                parked: 0,
                oldest_due_secs: 0.0,
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(30), Duration::from_secs(600));
    }

    #[test]
    fn kinds_round_trip() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("nope"), None);
    }
}
