//! The audit trail of staff writes: who (stamped from `app.user_id`/`app.role`), which brand
//! (the transaction's), what (`action`, `subject`, `details`) and when. Written in the same
//! transaction as the change, so a change and its audit entry commit or vanish together.
//! Never put secrets or personal data in `details`.

use uuid::Uuid;

use crate::db::{DbError, Tx};

/// Records an action in the transaction's brand.
pub async fn record(
    tx: &Tx<'_>,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> Result<(), DbError> {
    insert(tx, action, subject, details, None).await
}

/// Records an owner action about `brand` taken outside any brand's transaction (onboarding).
/// The database ignores `brand` for anyone but the owner.
pub async fn record_for_brand(
    tx: &Tx<'_>,
    brand: Uuid,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> Result<(), DbError> {
    insert(tx, action, subject, details, Some(brand)).await
}

async fn insert(
    tx: &Tx<'_>,
    action: &str,
    subject: &str,
    details: serde_json::Value,
    brand: Option<Uuid>,
) -> Result<(), DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/insert.sql")).await?;
    tx.execute(&stmt, &[&action, &subject, &details, &brand])
        .await?;
    Ok(())
}
