//! Queue SQL. Enqueueing runs in the caller's tenant transaction (the brand is the
//! transaction's); claiming, finishing, purging and the parked list run in global transactions,
//! since the queue serves every brand and holds references only, never tenant data.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::status::JobStatus;
use crate::db::{DbError, Tx};

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub tenant_id: Uuid,
    pub kind: String,
    pub reference: String,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// A parked job, for the owner.
pub struct ParkedJob {
    pub id: i64,
    pub brand: String,
    pub kind: String,
    pub reference: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub parked_at: DateTime<Utc>,
}

/// Inserts a job for the transaction's brand.
pub async fn insert(
    tx: &Tx<'_>,
    kind: &str,
    reference: &str,
    run_at: DateTime<Utc>,
) -> Result<(), DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/enqueue.sql")).await?;
    tx.execute(&stmt, &[&Option::<Uuid>::None, &kind, &reference, &run_at])
        .await?;
    Ok(())
}

/// Claims up to `batch` due jobs of any brand for `claim_secs` (`FOR UPDATE SKIP LOCKED`).
pub async fn claim(tx: &Tx<'_>, batch: i64, claim_secs: f64) -> Result<Vec<Claimed>, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/claim.sql")).await?;
    tx.query(&stmt, &[&batch, &claim_secs])
        .await?
        .iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("id")?,
                tenant_id: r.try_get("tenant_id")?,
                kind: r.try_get("kind")?,
                reference: r.try_get("ref")?,
                attempts: r.try_get("attempts")?,
                max_attempts: r.try_get("max_attempts")?,
            })
        })
        .collect()
}

/// Marks a job done.
pub async fn complete(tx: &Tx<'_>, id: i64) -> Result<(), DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/complete.sql")).await?;
    tx.execute(&stmt, &[&id]).await?;
    Ok(())
}

/// Schedules a failed job again after `delay_secs`, or parks it (`permanent`, or out of
/// attempts); returns its new status.
pub async fn retry(
    tx: &Tx<'_>,
    id: i64,
    delay_secs: f64,
    message: &str,
    permanent: bool,
) -> Result<JobStatus, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/retry.sql")).await?;
    Ok(tx
        .query_one(&stmt, &[&id, &delay_secs, &message, &permanent])
        .await?
        .try_get(0)?)
}

/// Hands claimed jobs that were never started back to the queue (a worker shutting down);
/// returns how many.
pub async fn release(tx: &Tx<'_>, ids: &[i64]) -> Result<u64, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/release.sql")).await?;
    Ok(tx.execute(&stmt, &[&ids]).await?)
}

/// Deletes finished jobs past their keeping time.
pub async fn purge(tx: &Tx<'_>) -> Result<(), DbError> {
    tx.execute(include_str!("sql/purge.sql"), &[]).await?;
    Ok(())
}

/// The most recently parked jobs of every brand.
pub async fn parked(tx: &Tx<'_>, limit: i64) -> Result<Vec<ParkedJob>, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/parked.sql")).await?;
    tx.query(&stmt, &[&limit])
        .await?
        .iter()
        .map(|r| {
            Ok(ParkedJob {
                id: r.try_get("id")?,
                brand: r.try_get("slug")?,
                kind: r.try_get("kind")?,
                reference: r.try_get("ref")?,
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                parked_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// Unfinished jobs of one kind, for `/metrics` (no brand: counts only).
#[derive(Debug, Clone)]
pub struct KindDepth {
    pub kind: String,
    pub queued: i64,
    pub running: i64,
    pub parked: i64,
    /// Seconds since the oldest due, still queued job of this kind became due (0 when none).
    pub oldest_due_secs: f64,
}

/// The queue's depth per kind, across brands (a global transaction sees every brand's jobs).
pub async fn depth(tx: &Tx<'_>) -> Result<Vec<KindDepth>, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/depth.sql")).await?;
    tx.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(KindDepth {
                kind: r.try_get("kind")?,
                queued: r.try_get("queued")?,
                running: r.try_get("running")?,
                parked: r.try_get("parked")?,
                oldest_due_secs: r.try_get("oldest_due_secs")?,
            })
        })
        .collect()
}
