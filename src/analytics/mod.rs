//! Owner analytics across brands: the one place where crossing brands is the point.
//!
//! It reads through a second pool that logs in as the analytics role (BYPASSRLS, SELECT-only,
//! read-only transactions). That pool is built here and lives in a private field of
//! [`Analytics`]; nothing else can reach it, and the only things [`Analytics`] offers are the
//! read models below and the reads of the owner's company event stream (`events`). Every
//! endpoint checks the owner role before calling [`service`] (or the company stream's
//! service), which writes the call to the audit trail (through the ordinary API pool: the
//! analytics role cannot write) and then reads.

pub mod api;
pub mod net_revenue;
mod repo;
pub mod service;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Pool;

use crate::{config::Config, db::DbError};

/// The analytics read models. Cheap to clone; the pool inside is private to this module.
#[derive(Clone)]
pub struct Analytics {
    pool: Pool,
    checkouts: Arc<AtomicU64>,
}

/// A validated date range: `[from, to]`, whole UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The longest range one request may cover.
pub const MAX_RANGE_DAYS: i64 = 366;

impl Range {
    /// Checks `from <= to` and the span; names the field at fault.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, (&'static str, String)> {
        if from > to {
            return Err(("from", "must not be after to".into()));
        }
        let days = (to - from).num_days() + 1;
        if days > MAX_RANGE_DAYS {
            return Err((
                "to",
                format!("the range covers {days} days; at most {MAX_RANGE_DAYS}"),
            ));
        }
        Ok(Self { from, to })
    }

    fn start(&self) -> DateTime<Utc> {
        self.from.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The end, exclusive: midnight after `to`.
    fn end(&self) -> DateTime<Utc> {
        (self.to + chrono::Days::new(1))
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
    }
}

pub struct BrandFigures {
    pub slug: String,
    pub name: String,
    pub currency: String,
    pub is_active: bool,
    pub revenue_minor: i64,
    pub order_count: i64,
    pub units_sold: i64,
    pub new_customers: i64,
}

pub struct SeriesPoint {
    pub slug: String,
    pub currency: String,
    pub start: DateTime<Utc>,
    pub revenue_minor: i64,
    pub order_count: i64,
}

pub struct InventoryHealth {
    pub slug: String,
    pub name: String,
    pub sku_count: i64,
    pub active_skus: i64,
    pub low_stock_skus: i64,
    pub out_of_stock_skus: i64,
    pub reserved_units: i64,
}

pub struct TopProduct {
    pub slug: String,
    pub currency: String,
    pub number: i32,
    pub name: String,
    pub revenue_minor: i64,
    pub units: i64,
    pub rank: i64,
}

/// One promotion's figures in a brand over a range (see `sql/promotions.sql`).
pub struct PromotionUsage {
    pub slug: String,
    pub currency: String,
    pub promotion_id: uuid::Uuid,
    pub code: Option<String>,
    pub name: String,
    pub uses: i64,
    pub discount_minor: i64,
    pub revenue_minor: i64,
}

/// Time-series buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
}

impl Analytics {
    /// Builds the analytics pool (no connection is opened until the first query).
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let pool = crate::db::build_pool(
            &config.db.analytics,
            config.analytics_pool_size,
            config.db.pool_wait_timeout,
            config.db.connect_timeout,
            config.analytics_statement_timeout,
        )?;
        Ok(Self {
            pool,
            checkouts: Arc::default(),
        })
    }

    /// How many times the analytics pool has lent a connection (tests prove that refused
    /// requests never reach it).
    pub fn checkouts(&self) -> u64 {
        self.checkouts.load(Ordering::Relaxed)
    }

    /// Runs `work` in a read-only transaction on the analytics pool (BYPASSRLS: every brand's
    /// rows). Only this module reaches the pool, and only after the endpoint's owner check.
    async fn read<T>(
        &self,
        work: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.checkouts.fetch_add(1, Ordering::Relaxed);
        let mut conn = self.pool.get().await?;
        let tx = conn.build_transaction().read_only(true).start().await?;
        let out = work(&tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Revenue, orders, units and new customers per brand in `range`.
    pub async fn overview(&self, range: Range) -> Result<Vec<BrandFigures>, DbError> {
        self.read(async |tx| repo::overview(tx, range.start(), range.end()).await)
            .await
    }

    /// Revenue and orders per brand and bucket in `range`.
    pub async fn timeseries(
        &self,
        range: Range,
        interval: Interval,
    ) -> Result<Vec<SeriesPoint>, DbError> {
        self.read(async |tx| repo::timeseries(tx, range.start(), range.end(), interval).await)
            .await
    }

    /// Stock health per brand now.
    pub async fn inventory(&self) -> Result<Vec<InventoryHealth>, DbError> {
        self.read(async |tx| repo::inventory(tx).await).await
    }

    /// Every brand's events after `cursor` (brand slug, last number delivered; a brand not
    /// named from its first event), each brand's in order, at most `limit`: the owner's company
    /// stream. The caller checks the owner role first.
    pub async fn company_events(
        &self,
        cursor: &[(String, i64)],
        limit: i64,
    ) -> Result<Vec<crate::events::Event>, DbError> {
        self.read(async |tx| repo::company_events(tx, cursor, limit).await)
            .await
    }

    /// Every brand's last event number (where a company stream without a cursor starts).
    pub async fn company_events_start(&self) -> Result<Vec<(String, i64)>, DbError> {
        self.read(async |tx| repo::company_events_start(tx).await)
            .await
    }

    /// The best-selling products per brand in `range`, `limit` per brand.
    pub async fn top_products(&self, range: Range, limit: i64) -> Result<Vec<TopProduct>, DbError> {
        self.read(async |tx| repo::top_products(tx, range.start(), range.end(), limit).await)
            .await
    }

    /// Per brand and promotion: consumed uses, discount given and revenue of the orders paid
    /// in `range` that used it.
    pub async fn promotions(&self, range: Range) -> Result<Vec<PromotionUsage>, DbError> {
        self.read(async |tx| repo::promotions(tx, range.start(), range.end()).await)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_are_checked() {
        assert!(Range::new(d("2026-01-01"), d("2026-12-31")).is_ok());
        assert_eq!(
            Range::new(d("2026-02-01"), d("2026-01-01")).unwrap_err().0,
            "from"
        );
        assert_eq!(
            Range::new(d("2025-01-01"), d("2026-12-31")).unwrap_err().0,
            "to"
        );
        let r = Range::new(d("2026-11-01"), d("2026-11-01")).unwrap();
        assert_eq!((r.end() - r.start()).num_hours(), 24);
    }
}
