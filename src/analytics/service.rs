//! What the owner analytics endpoints call. Each read is written to the audit trail first,
//! through the ordinary API pool (the analytics role cannot write), then served from the read
//! models of [`Analytics`]. The endpoints check the owner role before calling here.

use super::{
    Analytics, BrandFigures, Interval, InventoryHealth, PromotionUsage, Range, SeriesPoint,
    TopProduct,
};
use crate::{
    audit,
    db::{Db, DbError},
    scope::Actor,
};

/// Writes an analytics read to the audit trail (subject: all brands).
async fn record(
    db: &Db,
    actor: &Actor,
    action: &str,
    details: serde_json::Value,
) -> Result<(), DbError> {
    db.global_tx(actor, async |tx| {
        audit::record(tx, action, "all brands", details).await
    })
    .await
}

/// The range as the audit trail records it.
fn range_details(range: Range) -> serde_json::Value {
    serde_json::json!({"from": range.from, "to": range.to})
}

/// Revenue, orders, units and new customers per brand in `range`; audited.
pub async fn overview(
    db: &Db,
    analytics: &Analytics,
    actor: &Actor,
    range: Range,
) -> Result<Vec<BrandFigures>, DbError> {
    record(db, actor, "analytics.overview", range_details(range)).await?;
    analytics.overview(range).await
}

/// Revenue and orders per brand and bucket in `range`; audited.
pub async fn timeseries(
    db: &Db,
    analytics: &Analytics,
    actor: &Actor,
    range: Range,
    interval: Interval,
) -> Result<Vec<SeriesPoint>, DbError> {
    record(db, actor, "analytics.timeseries", range_details(range)).await?;
    analytics.timeseries(range, interval).await
}

/// Stock health per brand now; audited.
pub async fn inventory(
    db: &Db,
    analytics: &Analytics,
    actor: &Actor,
) -> Result<Vec<InventoryHealth>, DbError> {
    record(db, actor, "analytics.inventory", serde_json::json!({})).await?;
    analytics.inventory().await
}

/// The best-selling products per brand in `range`, `limit` per brand; audited.
pub async fn top_products(
    db: &Db,
    analytics: &Analytics,
    actor: &Actor,
    range: Range,
    limit: i64,
) -> Result<Vec<TopProduct>, DbError> {
    record(db, actor, "analytics.top_products", range_details(range)).await?;
    analytics.top_products(range, limit).await
}

/// Per brand and promotion in `range`: uses, discount given, revenue; audited.
pub async fn promotions(
    db: &Db,
    analytics: &Analytics,
    actor: &Actor,
    range: Range,
) -> Result<Vec<PromotionUsage>, DbError> {
    record(db, actor, "analytics.promotions", range_details(range)).await?;
    analytics.promotions(range).await
}
