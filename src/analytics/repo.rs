//! The analytics statements and their row mapping. Each takes the analytics pool's read-only
//! transaction (see the module docs: only [`super::Analytics`] opens one).

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;

use super::{BrandFigures, Interval, InventoryHealth, PromotionUsage, SeriesPoint, TopProduct};
use crate::db::DbError;

pub(super) async fn overview(
    tx: &Transaction<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<BrandFigures>, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/overview.sql")).await?;
    tx.query(&stmt, &[&start, &end])
        .await?
        .iter()
        .map(|r| {
            Ok(BrandFigures {
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                currency: r.try_get("currency")?,
                is_active: r.try_get("is_active")?,
                revenue_minor: r.try_get("revenue_minor")?,
                order_count: r.try_get("order_count")?,
                units_sold: r.try_get("units_sold")?,
                new_customers: r.try_get("new_customers")?,
            })
        })
        .collect()
}

pub(super) async fn timeseries(
    tx: &Transaction<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    interval: Interval,
) -> Result<Vec<SeriesPoint>, DbError> {
    let unit = match interval {
        Interval::Day => "day",
        Interval::Week => "week",
    };
    let stmt = tx
        .prepare_cached(include_str!("sql/timeseries.sql"))
        .await?;
    tx.query(&stmt, &[&start, &end, &unit])
        .await?
        .iter()
        .map(|r| {
            Ok(SeriesPoint {
                slug: r.try_get("slug")?,
                currency: r.try_get("currency")?,
                start: r.try_get("start")?,
                revenue_minor: r.try_get("revenue_minor")?,
                order_count: r.try_get("order_count")?,
            })
        })
        .collect()
}

/// Stock health per brand. From the maintained figures while every zone is open; while one is
/// closed (they sum every zone), from every SKU's stock rows by the definition.
pub(super) async fn inventory(tx: &Transaction<'_>) -> Result<Vec<InventoryHealth>, DbError> {
    let closed = tx
        .prepare_cached("select exists (select from app.zones where not is_active)")
        .await?;
    let any_closed: bool = tx.query_one(&closed, &[]).await?.try_get(0)?;
    let stmt = if any_closed {
        tx.prepare_cached(include_str!("sql/inventory_by_definition.sql"))
            .await?
    } else {
        tx.prepare_cached(include_str!("sql/inventory.sql")).await?
    };
    tx.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(InventoryHealth {
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                sku_count: r.try_get("sku_count")?,
                active_skus: r.try_get("active_skus")?,
                low_stock_skus: r.try_get("low_stock_skus")?,
                out_of_stock_skus: r.try_get("out_of_stock_skus")?,
                reserved_units: r.try_get("reserved_units")?,
            })
        })
        .collect()
}

pub(super) async fn top_products(
    tx: &Transaction<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TopProduct>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/top_products.sql"))
        .await?;
    tx.query(&stmt, &[&start, &end, &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(TopProduct {
                slug: r.try_get("slug")?,
                currency: r.try_get("currency")?,
                number: r.try_get("number")?,
                name: r.try_get("name")?,
                revenue_minor: r.try_get("revenue_minor")?,
                units: r.try_get("units")?,
                rank: r.try_get("rank")?,
            })
        })
        .collect()
}

/// Every brand's events after `cursor` (brand slug, last number delivered), each brand's in
/// order.
pub(super) async fn company_events(
    tx: &Transaction<'_>,
    cursor: &[(String, i64)],
    limit: i64,
) -> Result<Vec<crate::events::Event>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/company_events.sql"))
        .await?;
    let slugs: Vec<&str> = cursor.iter().map(|(s, _)| s.as_str()).collect();
    let seqs: Vec<i64> = cursor.iter().map(|(_, n)| *n).collect();
    tx.query(&stmt, &[&slugs, &seqs, &limit])
        .await?
        .iter()
        .map(crate::events::Event::from_row)
        .collect()
}

/// Every brand's last event number: where a company stream without Last-Event-ID starts.
pub(super) async fn company_events_start(
    tx: &Transaction<'_>,
) -> Result<Vec<(String, i64)>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/company_events_start.sql"))
        .await?;
    tx.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| Ok((r.try_get("slug")?, r.try_get("last_seq")?)))
        .collect()
}

pub(super) async fn promotions(
    tx: &Transaction<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<PromotionUsage>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/promotions.sql"))
        .await?;
    tx.query(&stmt, &[&start, &end])
        .await?
        .iter()
        .map(|r| {
            Ok(PromotionUsage {
                slug: r.try_get("slug")?,
                currency: r.try_get("currency")?,
                promotion_id: r.try_get("promotion_id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                uses: r.try_get("uses")?,
                discount_minor: r.try_get("discount_minor")?,
                revenue_minor: r.try_get("revenue_minor")?,
            })
        })
        .collect()
}
