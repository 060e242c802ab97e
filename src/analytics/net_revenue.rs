//! Net revenue per brand and currency: what orders captured minus what confirmed refunds paid
//! back, through the analytics pool (owner only; the endpoint checks the role first).

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;

use super::{Analytics, Range};
use crate::{
    audit,
    db::{Db, DbError},
    scope::Actor,
};

/// One brand's figures in one currency.
pub struct NetRevenue {
    pub slug: String,
    pub name: String,
    pub currency: String,
    /// Totals of orders paid in the range (whatever became of them since).
    pub captured_minor: i64,
    pub paid_orders: i64,
    /// Refunds the provider confirmed in the range.
    pub refunded_minor: i64,
    pub refund_count: i64,
    /// `captured_minor - refunded_minor`.
    pub net_minor: i64,
}

async fn read(
    tx: &Transaction<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<NetRevenue>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/net_revenue.sql"))
        .await?;
    tx.query(&stmt, &[&start, &end])
        .await?
        .iter()
        .map(|r| {
            Ok(NetRevenue {
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                currency: r.try_get("currency")?,
                captured_minor: r.try_get("captured_minor")?,
                paid_orders: r.try_get("paid_orders")?,
                refunded_minor: r.try_get("refunded_minor")?,
                refund_count: r.try_get("refund_count")?,
                net_minor: r.try_get("net_minor")?,
            })
        })
        .collect()
}

impl Analytics {
    /// Net revenue per brand and currency in `range`.
    pub async fn net_revenue(&self, range: Range) -> Result<Vec<NetRevenue>, DbError> {
        self.read(async |tx| read(tx, range.start(), range.end()).await)
            .await
    }
}

/// Net revenue per brand and currency in `range`; audited (through the ordinary pool, as every
/// analytics read).
pub async fn net_revenue(
    db: &Db,
    analytics: &Analytics,
    actor: &Actor,
    range: Range,
) -> Result<Vec<NetRevenue>, DbError> {
    db.global_tx(actor, async |tx| {
        audit::record(
            tx,
            "analytics.net_revenue",
            "all brands",
            serde_json::json!({"from": range.from, "to": range.to}),
        )
        .await
    })
    .await?;
    analytics.net_revenue(range).await
}
