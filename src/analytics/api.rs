//! Owner analytics endpoints. Each checks the owner role first (403 for anyone else, before
//! the analytics pool is touched) and writes the call to the audit trail.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use poem_openapi::{Enum, Object, OpenApi, param::Query, payload::Json};

use super::{BrandFigures, Interval, Range, SeriesPoint, service};
use crate::{
    api::ApiTags,
    error::{ApiError, FieldError},
    identity::{Permission, extract::StaffAuth},
};

/// One promotion's figures in a brand over the range.
#[derive(Object)]
#[oai(rename = "PromotionFigures")]
pub struct PromotionFigures {
    /// The brand's slug.
    pub slug: String,
    pub currency: String,
    pub promotion_id: uuid::Uuid,
    /// `null` for an automatic promotion.
    pub code: crate::types::Nullable<String>,
    pub name: String,
    /// Uses by orders paid in the range.
    pub uses: i64,
    /// What it took off those orders, in the brand currency's minor units.
    pub discount_minor: i64,
    /// What those orders paid (an order that used two promotions counts in both).
    pub revenue_minor: i64,
}

#[derive(Object)]
#[oai(rename = "BrandOverview")]
pub struct BrandOverview {
    /// Send as `X-Tenant-ID` to drill into the brand with the ordinary endpoints.
    pub slug: String,
    pub name: String,
    pub currency: String,
    pub is_active: bool,
    /// Paid (and shipped) orders' totals, by payment time, in the brand currency's minor units.
    pub revenue_minor: i64,
    pub order_count: i64,
    /// Revenue divided by orders, rounded down; 0 without orders.
    pub average_order_value_minor: i64,
    pub units_sold: i64,
    /// Customers created in the range.
    pub new_customers: i64,
}

/// Sums over the brands that share a currency (amounts in different currencies are not added).
#[derive(Object)]
#[oai(rename = "CurrencyTotal")]
pub struct CurrencyTotal {
    pub currency: String,
    pub brands: i64,
    pub revenue_minor: i64,
    pub order_count: i64,
    pub units_sold: i64,
    pub new_customers: i64,
}

#[derive(Object)]
#[oai(rename = "AnalyticsOverview")]
pub struct Overview {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub brands: Vec<BrandOverview>,
    pub totals: Vec<CurrencyTotal>,
}

/// One brand's net revenue in one currency.
#[derive(Object)]
#[oai(rename = "BrandNetRevenue")]
pub struct BrandNetRevenue {
    pub slug: String,
    pub name: String,
    pub currency: String,
    /// Totals of the orders paid in the range, in minor units.
    pub captured_minor: i64,
    pub paid_orders: i64,
    /// Refunds the payment provider confirmed in the range.
    pub refunded_minor: i64,
    pub refund_count: i64,
    /// `captured_minor - refunded_minor`.
    pub net_minor: i64,
}

#[derive(Object)]
#[oai(rename = "AnalyticsNetRevenue")]
pub struct NetRevenueReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Per brand and currency, by slug.
    pub brands: Vec<BrandNetRevenue>,
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "AnalyticsInterval", rename_all = "lowercase")]
pub enum IntervalParam {
    Day,
    Week,
}

#[derive(Object)]
#[oai(rename = "SeriesPoint")]
pub struct Point {
    /// Start of the bucket (UTC).
    pub start: DateTime<Utc>,
    pub revenue_minor: i64,
    pub order_count: i64,
}

#[derive(Object)]
#[oai(rename = "BrandSeries")]
pub struct BrandSeries {
    pub slug: String,
    pub currency: String,
    pub points: Vec<Point>,
}

#[derive(Object)]
#[oai(rename = "AnalyticsTimeseries")]
pub struct Timeseries {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: IntervalParam,
    pub series: Vec<BrandSeries>,
}

#[derive(Object)]
#[oai(rename = "BrandInventoryHealth")]
pub struct InventoryHealth {
    pub slug: String,
    pub name: String,
    pub sku_count: i64,
    pub active_skus: i64,
    /// Active SKUs available below their reorder threshold.
    pub low_stock_skus: i64,
    /// Active SKUs with nothing available.
    pub out_of_stock_skus: i64,
    /// Units held by unexpired holds.
    pub reserved_units: i64,
}

#[derive(Object)]
#[oai(rename = "TopProduct")]
pub struct TopProduct {
    pub rank: i64,
    pub number: i32,
    pub name: String,
    pub revenue_minor: i64,
    pub units: i64,
}

#[derive(Object)]
#[oai(rename = "BrandTopProducts")]
pub struct BrandTopProducts {
    pub slug: String,
    pub currency: String,
    pub products: Vec<TopProduct>,
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct AnalyticsApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// Owner analytics' read models (the BYPASSRLS pool is private inside).
    pub analytics: crate::analytics::Analytics,
}

fn range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Range, ApiError> {
    let to = to.unwrap_or_else(|| Utc::now().date_naive());
    let from = from.unwrap_or_else(|| to - Days::new(29));
    Range::new(from, to)
        .map_err(|(field, message)| ApiError::invalid(vec![FieldError::new(field, message)]))
}

/// Per-brand figures with their averages, and the totals per currency.
fn overview_body(range: Range, rows: Vec<BrandFigures>) -> Overview {
    let mut totals: BTreeMap<String, CurrencyTotal> = BTreeMap::new();
    for r in &rows {
        let t = totals
            .entry(r.currency.clone())
            .or_insert_with(|| CurrencyTotal {
                currency: r.currency.clone(),
                brands: 0,
                revenue_minor: 0,
                order_count: 0,
                units_sold: 0,
                new_customers: 0,
            });
        t.brands += 1;
        t.revenue_minor += r.revenue_minor;
        t.order_count += r.order_count;
        t.units_sold += r.units_sold;
        t.new_customers += r.new_customers;
    }
    Overview {
        from: range.from,
        to: range.to,
        brands: rows
            .into_iter()
            .map(|r| BrandOverview {
                average_order_value_minor: if r.order_count > 0 {
                    r.revenue_minor / r.order_count
                } else {
                    0
                },
                slug: r.slug,
                name: r.name,
                currency: r.currency,
                is_active: r.is_active,
                revenue_minor: r.revenue_minor,
                order_count: r.order_count,
                units_sold: r.units_sold,
                new_customers: r.new_customers,
            })
            .collect(),
        totals: totals.into_values().collect(),
    }
}

/// Points (ordered by brand) grouped into one series per brand.
fn brand_series(points: Vec<SeriesPoint>) -> Vec<BrandSeries> {
    let mut series: Vec<BrandSeries> = Vec::new();
    for p in points {
        if series.last().is_none_or(|s| s.slug != p.slug) {
            series.push(BrandSeries {
                slug: p.slug.clone(),
                currency: p.currency.clone(),
                points: Vec::new(),
            });
        }
        if let Some(s) = series.last_mut() {
            s.points.push(Point {
                start: p.start,
                revenue_minor: p.revenue_minor,
                order_count: p.order_count,
            });
        }
    }
    series
}

/// Products (ordered by brand, then rank) grouped per brand.
fn brand_top_products(rows: Vec<super::TopProduct>) -> Vec<BrandTopProducts> {
    let mut out: Vec<BrandTopProducts> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|b| b.slug != r.slug) {
            out.push(BrandTopProducts {
                slug: r.slug.clone(),
                currency: r.currency.clone(),
                products: Vec::new(),
            });
        }
        if let Some(b) = out.last_mut() {
            b.products.push(TopProduct {
                rank: r.rank,
                number: r.number,
                name: r.name,
                revenue_minor: r.revenue_minor,
                units: r.units,
            });
        }
    }
    out
}

impl From<super::InventoryHealth> for InventoryHealth {
    fn from(r: super::InventoryHealth) -> Self {
        Self {
            slug: r.slug,
            name: r.name,
            sku_count: r.sku_count,
            active_skus: r.active_skus,
            low_stock_skus: r.low_stock_skus,
            out_of_stock_skus: r.out_of_stock_skus,
            reserved_units: r.reserved_units,
        }
    }
}

#[OpenApi]
impl AnalyticsApi {
    /// Revenue, orders, average order value, units and new customers per brand for a date
    /// range (default: the last 30 days; at most 366 days; inclusive UTC dates), with totals
    /// per currency.
    ///
    /// Permission `analytics`: role owner.
    #[oai(
        path = "/v1/admin/analytics/overview",
        method = "get",
        operation_id = "getAnalyticsOverview",
        tag = "ApiTags::Analytics"
    )]
    async fn overview(
        &self,
        auth: StaffAuth,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<Json<Overview>, ApiError> {
        let actor = auth.0.authorize_company(Permission::Analytics)?;
        let range = range(from.0, to.0)?;
        let rows = service::overview(&self.db, &self.analytics, &actor, range).await?;
        Ok(Json(overview_body(range, rows)))
    }

    /// Net revenue per brand and currency for a date range (default: the last 30 days; at most
    /// 366 days; inclusive UTC dates): what orders paid in the range captured (whatever became
    /// of them since, cancelled or refunded included), what refunds the payment provider
    /// confirmed in the range paid back, and the difference. Brands with neither are left out.
    ///
    /// Permission `analytics`: role owner.
    #[oai(
        path = "/v1/admin/analytics/net-revenue",
        method = "get",
        operation_id = "getAnalyticsNetRevenue",
        tag = "ApiTags::Analytics"
    )]
    async fn net_revenue(
        &self,
        auth: StaffAuth,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<Json<NetRevenueReport>, ApiError> {
        let actor = auth.0.authorize_company(Permission::Analytics)?;
        let range = range(from.0, to.0)?;
        let rows =
            super::net_revenue::net_revenue(&self.db, &self.analytics, &actor, range).await?;
        Ok(Json(NetRevenueReport {
            from: range.from,
            to: range.to,
            brands: rows
                .into_iter()
                .map(|r| BrandNetRevenue {
                    slug: r.slug,
                    name: r.name,
                    currency: r.currency,
                    captured_minor: r.captured_minor,
                    paid_orders: r.paid_orders,
                    refunded_minor: r.refunded_minor,
                    refund_count: r.refund_count,
                    net_minor: r.net_minor,
                })
                .collect(),
        }))
    }

    /// Paid revenue and orders per brand per day or week (UTC; Monday weeks), every bucket of
    /// the range present (zeros included).
    ///
    /// Permission `analytics`: role owner.
    #[oai(
        path = "/v1/admin/analytics/timeseries",
        method = "get",
        operation_id = "getAnalyticsTimeseries",
        tag = "ApiTags::Analytics"
    )]
    async fn timeseries(
        &self,
        auth: StaffAuth,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        interval: Query<Option<IntervalParam>>,
    ) -> Result<Json<Timeseries>, ApiError> {
        let actor = auth.0.authorize_company(Permission::Analytics)?;
        let range = range(from.0, to.0)?;
        let interval = interval.0.unwrap_or(IntervalParam::Day);
        let points = service::timeseries(
            &self.db,
            &self.analytics,
            &actor,
            range,
            match interval {
                IntervalParam::Day => Interval::Day,
                IntervalParam::Week => Interval::Week,
            },
        )
        .await?;
        Ok(Json(Timeseries {
            from: range.from,
            to: range.to,
            interval,
            series: brand_series(points),
        }))
    }

    /// Inventory health per brand: SKU counts, low and out of stock, units held.
    ///
    /// Permission `analytics`: role owner.
    #[oai(
        path = "/v1/admin/analytics/inventory",
        method = "get",
        operation_id = "getAnalyticsInventory",
        tag = "ApiTags::Analytics"
    )]
    async fn inventory(&self, auth: StaffAuth) -> Result<Json<Vec<InventoryHealth>>, ApiError> {
        let actor = auth.0.authorize_company(Permission::Analytics)?;
        let rows = service::inventory(&self.db, &self.analytics, &actor).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Each brand's best-selling products by paid revenue in the range (`limit` per brand,
    /// 1 to 50, default 5).
    ///
    /// Permission `analytics`: role owner.
    #[oai(
        path = "/v1/admin/analytics/top-products",
        method = "get",
        operation_id = "getAnalyticsTopProducts",
        tag = "ApiTags::Analytics"
    )]
    async fn top_products(
        &self,
        auth: StaffAuth,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))] limit: Query<Option<u32>>,
    ) -> Result<Json<Vec<BrandTopProducts>>, ApiError> {
        let actor = auth.0.authorize_company(Permission::Analytics)?;
        let range = range(from.0, to.0)?;
        let limit = i64::from(limit.0.unwrap_or(5));
        let rows = service::top_products(&self.db, &self.analytics, &actor, range, limit).await?;
        Ok(Json(brand_top_products(rows)))
    }

    /// Per brand and promotion code: the uses by orders paid in the range, the discount they
    /// gave and those orders' revenue, in each brand's currency.
    ///
    /// Permission `analytics`: role owner.
    #[oai(
        path = "/v1/admin/analytics/promotions",
        method = "get",
        operation_id = "getAnalyticsPromotions",
        tag = "ApiTags::Analytics"
    )]
    async fn promotions(
        &self,
        auth: StaffAuth,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> Result<Json<Vec<PromotionFigures>>, ApiError> {
        let actor = auth.0.authorize_company(Permission::Analytics)?;
        let range = range(from.0, to.0)?;
        let rows = service::promotions(&self.db, &self.analytics, &actor, range).await?;
        Ok(Json(
            rows.into_iter()
                .map(|r| PromotionFigures {
                    slug: r.slug,
                    currency: r.currency,
                    promotion_id: r.promotion_id,
                    code: r.code.into(),
                    name: r.name,
                    uses: r.uses,
                    discount_minor: r.discount_minor,
                    revenue_minor: r.revenue_minor,
                })
                .collect(),
        ))
    }
}
