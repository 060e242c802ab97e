//! The promotions statements. Every one runs in the brand's tenant transaction and carries the
//! brand's `tenant_id` as well (RLS stays the guarantee).

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{PromotionKind, PromotionTarget};
use crate::db::{DbError, Tx};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// A promotion's fields as written (everything but its id, count and times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub name: String,
    pub code: Option<String>,
    pub kind: PromotionKind,
    pub percent_bp: Option<i32>,
    pub amount_minor: Option<i64>,
    pub buy_quantity: Option<i32>,
    pub get_quantity: Option<i32>,
    pub target: PromotionTarget,
    pub targets: Vec<String>,
    pub min_subtotal_minor: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub first_order_only: bool,
    pub customer_emails: Vec<String>,
    pub usage_limit: Option<i32>,
    pub usage_limit_per_customer: Option<i32>,
    pub exclusive: bool,
    pub active: bool,
}

/// A promotion as stored.
#[derive(Debug, Clone)]
pub struct PromotionRow {
    pub id: Uuid,
    pub fields: Fields,
    pub uses_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PromotionRow {
    fn from_row(r: &Row) -> Result<Self, DbError> {
        Ok(Self {
            id: r.try_get("id")?,
            fields: Fields {
                name: r.try_get("name")?,
                code: r.try_get("code")?,
                kind: r.try_get("kind")?,
                percent_bp: r.try_get("percent_bp")?,
                amount_minor: r.try_get("amount_minor")?,
                buy_quantity: r.try_get("buy_quantity")?,
                get_quantity: r.try_get("get_quantity")?,
                target: r.try_get("target")?,
                targets: r.try_get("targets")?,
                min_subtotal_minor: r.try_get("min_subtotal_minor")?,
                starts_at: r.try_get("starts_at")?,
                ends_at: r.try_get("ends_at")?,
                first_order_only: r.try_get("first_order_only")?,
                customer_emails: r.try_get("customer_emails")?,
                usage_limit: r.try_get("usage_limit")?,
                usage_limit_per_customer: r.try_get("usage_limit_per_customer")?,
                exclusive: r.try_get("exclusive")?,
                active: r.try_get("active")?,
            },
            uses_count: r.try_get("uses_count")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

fn rows(rows: &[Row]) -> Result<Vec<PromotionRow>, DbError> {
    rows.iter().map(PromotionRow::from_row).collect()
}

pub async fn insert(tx: &Tx<'_>, f: &Fields) -> Result<PromotionRow, DbError> {
    let stmt = stmt!(tx, "insert_promotion.sql");
    let row = tx
        .query_one(
            &stmt,
            &[
                tx.tenant(),
                &f.name,
                &f.code,
                &f.kind,
                &f.percent_bp,
                &f.amount_minor,
                &f.buy_quantity,
                &f.get_quantity,
                &f.target,
                &f.targets,
                &f.min_subtotal_minor,
                &f.starts_at,
                &f.ends_at,
                &f.first_order_only,
                &f.customer_emails,
                &f.usage_limit,
                &f.usage_limit_per_customer,
                &f.exclusive,
                &f.active,
            ],
        )
        .await?;
    PromotionRow::from_row(&row)
}

pub async fn update(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    f: &Fields,
) -> Result<Option<PromotionRow>, DbError> {
    let stmt = stmt!(tx, "update_promotion.sql");
    tx.query_opt(
        &stmt,
        &[
            &tenant,
            &id,
            &f.name,
            &f.code,
            &f.kind,
            &f.percent_bp,
            &f.amount_minor,
            &f.buy_quantity,
            &f.get_quantity,
            &f.target,
            &f.targets,
            &f.min_subtotal_minor,
            &f.starts_at,
            &f.ends_at,
            &f.first_order_only,
            &f.customer_emails,
            &f.usage_limit,
            &f.usage_limit_per_customer,
            &f.exclusive,
            &f.active,
        ],
    )
    .await?
    .as_ref()
    .map(PromotionRow::from_row)
    .transpose()
}

/// One promotion, locked for a change.
pub async fn get(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<Option<PromotionRow>, DbError> {
    let stmt = stmt!(tx, "get_promotion.sql");
    tx.query_opt(&stmt, &[&tenant, &id])
        .await?
        .as_ref()
        .map(PromotionRow::from_row)
        .transpose()
}

pub async fn list(tx: &Tx<'_>, tenant: Uuid) -> Result<Vec<PromotionRow>, DbError> {
    let stmt = stmt!(tx, "list_promotions.sql");
    rows(&tx.query(&stmt, &[&tenant]).await?)
}

/// Deletes a promotion; whether one was deleted.
pub async fn delete(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<bool, DbError> {
    let stmt = stmt!(tx, "delete_promotion.sql");
    Ok(tx.execute(&stmt, &[&tenant, &id]).await? > 0)
}

/// The brand's active automatic promotions and those with one of `codes` (lowercased).
pub async fn basket_promotions(
    tx: &Tx<'_>,
    tenant: Uuid,
    codes: &[String],
) -> Result<Vec<PromotionRow>, DbError> {
    let stmt = stmt!(tx, "basket_promotions.sql");
    rows(&tx.query(&stmt, &[&tenant, &codes]).await?)
}

/// Per SKU: its product's number and category code.
pub async fn line_targets(
    tx: &Tx<'_>,
    tenant: Uuid,
    skus: &[String],
) -> Result<Vec<(String, String, String)>, DbError> {
    let stmt = stmt!(tx, "line_targets.sql");
    tx.query(&stmt, &[&tenant, &skus])
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("sku")?,
                r.try_get("product")?,
                r.try_get("category")?,
            ))
        })
        .collect()
}

pub async fn first_order(tx: &Tx<'_>, tenant: Uuid, email: &str) -> Result<bool, DbError> {
    let stmt = stmt!(tx, "first_order.sql");
    Ok(tx
        .query_one(&stmt, &[&tenant, &email])
        .await?
        .try_get("first_order")?)
}

/// Per promotion of `ids`, the uses by `email` that still count.
pub async fn customer_uses(
    tx: &Tx<'_>,
    tenant: Uuid,
    email: &str,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, DbError> {
    let stmt = stmt!(tx, "customer_uses.sql");
    tx.query(&stmt, &[&tenant, &email, &ids])
        .await?
        .iter()
        .map(|r| Ok((r.try_get("promotion_id")?, r.try_get("uses")?)))
        .collect()
}

// The uses' life cycle runs inside order transactions (payment, expiry, cancellation) that
// hold no scope value at hand: these statements take the brand from the transaction
// (`tx.tenant()`, the brand of its scope), which is what RLS checks anyway.

/// Takes one use if one is left; whether it was taken.
pub async fn take_use(tx: &Tx<'_>, id: Uuid) -> Result<bool, DbError> {
    let stmt = stmt!(tx, "take_use.sql");
    Ok(tx.query_opt(&stmt, &[tx.tenant(), &id]).await?.is_some())
}

pub async fn give_back_use(tx: &Tx<'_>, id: Uuid) -> Result<(), DbError> {
    let stmt = stmt!(tx, "give_back_use.sql");
    tx.execute(&stmt, &[tx.tenant(), &id]).await?;
    Ok(())
}

pub async fn insert_use(
    tx: &Tx<'_>,
    promotion: Uuid,
    order: Uuid,
    email: &str,
    discount_minor: i64,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "insert_use.sql");
    tx.execute(
        &stmt,
        &[tx.tenant(), &promotion, &order, &email, &discount_minor],
    )
    .await?;
    Ok(())
}

pub async fn release_uses(tx: &Tx<'_>, order: Uuid) -> Result<(), DbError> {
    let stmt = stmt!(tx, "release_uses.sql");
    tx.execute(&stmt, &[tx.tenant(), &order]).await?;
    Ok(())
}

pub async fn released_uses(tx: &Tx<'_>, order: Uuid) -> Result<Vec<Uuid>, DbError> {
    let stmt = stmt!(tx, "released_uses.sql");
    tx.query(&stmt, &[tx.tenant(), &order])
        .await?
        .iter()
        .map(|r| Ok(r.try_get("promotion_id")?))
        .collect()
}

pub async fn consume_uses(tx: &Tx<'_>, order: Uuid) -> Result<(), DbError> {
    let stmt = stmt!(tx, "consume_uses.sql");
    tx.execute(&stmt, &[tx.tenant(), &order]).await?;
    Ok(())
}

pub async fn set_order_discount(
    tx: &Tx<'_>,
    tenant: Uuid,
    order: Uuid,
    discount_minor: i64,
    snapshot: &serde_json::Value,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "set_order_discount.sql");
    tx.execute(&stmt, &[&tenant, &order, &discount_minor, snapshot])
        .await?;
    Ok(())
}

pub async fn set_line_discounts(
    tx: &Tx<'_>,
    tenant: Uuid,
    order: Uuid,
    line_ids: &[Uuid],
    discounts: &[i64],
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "set_line_discounts.sql");
    tx.execute(&stmt, &[&tenant, &order, &line_ids, &discounts])
        .await?;
    Ok(())
}

/// An order's discount, its promotions snapshot, and its lines' discounts by line id.
pub struct OrderDiscounts {
    pub discount_minor: i64,
    pub promotions: serde_json::Value,
    pub lines: Vec<(Uuid, i64)>,
}

pub async fn order_discounts(
    tx: &Tx<'_>,
    tenant: Uuid,
    order: Uuid,
) -> Result<Option<OrderDiscounts>, DbError> {
    let stmt = stmt!(tx, "order_discounts.sql");
    let Some(r) = tx.query_opt(&stmt, &[&tenant, &order]).await? else {
        return Ok(None);
    };
    let ids: Vec<Uuid> = r.try_get("line_ids")?;
    let discounts: Vec<i64> = r.try_get("line_discounts")?;
    Ok(Some(OrderDiscounts {
        discount_minor: r.try_get("discount_minor")?,
        promotions: r.try_get("promotions")?,
        lines: ids.into_iter().zip(discounts).collect(),
    }))
}
