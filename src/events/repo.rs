//! The events' statements (reads; the write is `events::record`).

use uuid::Uuid;

use super::{Event, EventType};
use crate::db::{DbError, Tx};

/// The brand's events after `after`, of `types`, oldest first, at most `limit`.
pub async fn after(
    tx: &Tx<'_>,
    tenant: Uuid,
    after: i64,
    types: &[EventType],
    with_pii: bool,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/after.sql")).await?;
    let types: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    tx.query(&stmt, &[&tenant, &after, &types, &with_pii, &limit])
        .await?
        .iter()
        .map(Event::from_row)
        .collect()
}

/// The brand's last event number, 0 before its first.
pub async fn last_seq(tx: &Tx<'_>, tenant: Uuid) -> Result<i64, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/last_seq.sql")).await?;
    Ok(tx.query_one(&stmt, &[&tenant]).await?.try_get("last_seq")?)
}
