//! Returns' and refunds' statements, each taking the tenant transaction and the brand (every
//! statement names it, as the schema conventions ask; row-level security stays the guarantee).

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{RefundStatus, ReturnStatus};
use crate::db::{DbError, Tx};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// An order line and what became of its units.
#[derive(Debug, Clone)]
pub struct LineUnits {
    pub id: Uuid,
    pub sku: String,
    pub quantity: i32,
    pub line_total_minor: i64,
    pub shipped: i32,
    pub in_returns: i32,
    pub refunded_units: i32,
    pub refunded_line_minor: i64,
}

pub async fn line_units(tx: &Tx<'_>, tenant: Uuid, order: Uuid) -> Result<Vec<LineUnits>, DbError> {
    let stmt = stmt!(tx, "line_units.sql");
    tx.query(&stmt, &[&tenant, &order])
        .await?
        .iter()
        .map(|r| {
            Ok(LineUnits {
                id: r.try_get("id")?,
                sku: r.try_get("sku")?,
                quantity: r.try_get("quantity")?,
                line_total_minor: r.try_get("line_total_minor")?,
                shipped: r.try_get("shipped")?,
                in_returns: r.try_get("in_returns")?,
                refunded_units: r.try_get("refunded_units")?,
                refunded_line_minor: r.try_get("refunded_line_minor")?,
            })
        })
        .collect()
}

pub async fn order_id_by_number(
    tx: &Tx<'_>,
    tenant: Uuid,
    number: i32,
) -> Result<Option<Uuid>, DbError> {
    let stmt = stmt!(tx, "order_id_by_number.sql");
    Ok(match tx.query_opt(&stmt, &[&tenant, &number]).await? {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    })
}

pub async fn insert_return(
    tx: &Tx<'_>,
    tenant: Uuid,
    order: Uuid,
    reason: &str,
    lines: &[(Uuid, i32)],
) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "insert_return.sql");
    let id: Uuid = tx
        .query_one(&stmt, &[&tenant, &order, &reason])
        .await?
        .try_get("id")?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.0).collect();
    let quantities: Vec<i32> = lines.iter().map(|l| l.1).collect();
    let stmt = stmt!(tx, "insert_return_lines.sql");
    tx.execute(&stmt, &[&tenant, &id, &ids, &quantities])
        .await?;
    Ok(id)
}

/// The order a return belongs to (read before locking: the order is locked first).
pub async fn return_order(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<Option<Uuid>, DbError> {
    let stmt = stmt!(tx, "return_order.sql");
    Ok(match tx.query_opt(&stmt, &[&tenant, &id]).await? {
        Some(r) => Some(r.try_get("order_id")?),
        None => None,
    })
}

/// A locked return.
pub struct LockedReturn {
    pub order_id: Uuid,
    pub status: ReturnStatus,
    pub order_number: i32,
}

pub async fn lock_return(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<LockedReturn>, DbError> {
    let stmt = stmt!(tx, "lock_return.sql");
    Ok(match tx.query_opt(&stmt, &[&tenant, &id]).await? {
        Some(r) => Some(LockedReturn {
            order_id: r.try_get("order_id")?,
            status: r.try_get("status")?,
            order_number: r.try_get("order_number")?,
        }),
        None => None,
    })
}

pub async fn decide_return(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    status: ReturnStatus,
    note: Option<&str>,
) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "decide_return.sql");
    Ok(tx.execute(&stmt, &[&tenant, &id, &status, &note]).await?)
}

/// One return line's split at reception.
pub struct Received<'a> {
    pub line_id: Uuid,
    pub resellable: i32,
    pub written_off: i32,
    pub reason: Option<&'a str>,
}

pub async fn receive_return(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    zone: Uuid,
    lines: &[Received<'_>],
) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "receive_return.sql");
    let n = tx.execute(&stmt, &[&tenant, &id, &zone]).await?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.line_id).collect();
    let resellable: Vec<i32> = lines.iter().map(|l| l.resellable).collect();
    let written_off: Vec<i32> = lines.iter().map(|l| l.written_off).collect();
    let reasons: Vec<Option<&str>> = lines.iter().map(|l| l.reason).collect();
    let stmt = stmt!(tx, "receive_return_lines.sql");
    tx.execute(
        &stmt,
        &[&tenant, &id, &ids, &resellable, &written_off, &reasons],
    )
    .await?;
    Ok(n)
}

/// A return as stored.
pub struct ReturnRow {
    pub id: Uuid,
    pub order_number: i32,
    pub status: ReturnStatus,
    pub reason: String,
    pub decision_note: Option<String>,
    pub zone_code: Option<String>,
    pub requested_by: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub received_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

fn return_from_row(r: &Row) -> Result<ReturnRow, DbError> {
    Ok(ReturnRow {
        id: r.try_get("id")?,
        order_number: r.try_get("order_number")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        decision_note: r.try_get("decision_note")?,
        zone_code: r.try_get("zone_code")?,
        requested_by: r.try_get("requested_by")?,
        decided_by: r.try_get("decided_by")?,
        received_by: r.try_get("received_by")?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
        received_at: r.try_get("received_at")?,
    })
}

/// Returns by id or by order.
pub async fn returns(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Option<Uuid>,
    order: Option<Uuid>,
) -> Result<Vec<ReturnRow>, DbError> {
    let stmt = stmt!(tx, "return_view.sql");
    tx.query(&stmt, &[&tenant, &id, &order])
        .await?
        .iter()
        .map(return_from_row)
        .collect()
}

/// A return line as stored.
pub struct ReturnLineRow {
    pub id: Uuid,
    pub return_id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub quantity: i32,
    pub resellable_quantity: Option<i32>,
    pub written_off_quantity: Option<i32>,
    pub write_off_reason: Option<String>,
}

pub async fn return_lines(
    tx: &Tx<'_>,
    tenant: Uuid,
    returns: &[Uuid],
) -> Result<Vec<ReturnLineRow>, DbError> {
    let stmt = stmt!(tx, "return_lines_view.sql");
    tx.query(&stmt, &[&tenant, &returns])
        .await?
        .iter()
        .map(|r| {
            Ok(ReturnLineRow {
                id: r.try_get("id")?,
                return_id: r.try_get("return_id")?,
                variant_id: r.try_get("variant_id")?,
                sku: r.try_get("sku")?,
                quantity: r.try_get("quantity")?,
                resellable_quantity: r.try_get("resellable_quantity")?,
                written_off_quantity: r.try_get("written_off_quantity")?,
                write_off_reason: r.try_get("write_off_reason")?,
            })
        })
        .collect()
}

/// What refunds that did not fail take of an order: (amount, shipping part).
pub async fn refund_totals(tx: &Tx<'_>, tenant: Uuid, order: Uuid) -> Result<(i64, i64), DbError> {
    let stmt = stmt!(tx, "refund_totals.sql");
    let r = tx.query_one(&stmt, &[&tenant, &order]).await?;
    Ok((r.try_get("amount_minor")?, r.try_get("shipping_minor")?))
}

/// The refund an idempotency key made: (id, order, request hash).
pub async fn refund_by_key(
    tx: &Tx<'_>,
    tenant: Uuid,
    key: &str,
) -> Result<Option<(Uuid, Uuid, Option<Vec<u8>>)>, DbError> {
    let stmt = stmt!(tx, "refund_by_key.sql");
    Ok(match tx.query_opt(&stmt, &[&tenant, &key]).await? {
        Some(r) => Some((
            r.try_get("id")?,
            r.try_get("order_id")?,
            r.try_get("request_hash")?,
        )),
        None => None,
    })
}

/// A refund to write.
pub struct NewRefund<'a> {
    pub order_id: Uuid,
    pub currency: &'a str,
    pub lines_minor: i64,
    pub shipping_minor: i64,
    pub free_minor: i64,
    pub reason: Option<&'a str>,
    pub return_id: Option<Uuid>,
    pub idempotency_key: Option<&'a str>,
    pub request_hash: Option<&'a [u8]>,
    /// (order line, units, amount).
    pub lines: Vec<(Uuid, i32, i64)>,
}

impl NewRefund<'_> {
    pub fn amount_minor(&self) -> i64 {
        self.lines_minor + self.shipping_minor + self.free_minor
    }
}

pub async fn insert_refund(tx: &Tx<'_>, tenant: Uuid, r: &NewRefund<'_>) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "insert_refund.sql");
    let id: Uuid = tx
        .query_one(
            &stmt,
            &[
                &tenant,
                &r.order_id,
                &r.amount_minor(),
                &r.currency,
                &r.lines_minor,
                &r.shipping_minor,
                &r.free_minor,
                &r.reason,
                &r.return_id,
                &r.idempotency_key,
                &r.request_hash,
            ],
        )
        .await?
        .try_get("id")?;
    if !r.lines.is_empty() {
        let lines: Vec<Uuid> = r.lines.iter().map(|l| l.0).collect();
        let quantities: Vec<i32> = r.lines.iter().map(|l| l.1).collect();
        let amounts: Vec<i64> = r.lines.iter().map(|l| l.2).collect();
        let stmt = stmt!(tx, "insert_refund_lines.sql");
        tx.execute(&stmt, &[&tenant, &id, &lines, &quantities, &amounts])
            .await?;
    }
    Ok(id)
}

/// A locked refund.
pub struct LockedRefund {
    pub id: Uuid,
    pub order_id: Uuid,
    pub status: RefundStatus,
    pub amount_minor: i64,
    pub currency: String,
}

pub async fn lock_refund(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<LockedRefund>, DbError> {
    let stmt = stmt!(tx, "lock_refund.sql");
    Ok(match tx.query_opt(&stmt, &[&tenant, &id]).await? {
        Some(r) => Some(LockedRefund {
            id: r.try_get("id")?,
            order_id: r.try_get("order_id")?,
            status: r.try_get("status")?,
            amount_minor: r.try_get("amount_minor")?,
            currency: r.try_get("currency")?,
        }),
        None => None,
    })
}

pub async fn settle_refund(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    status: RefundStatus,
    event_id: &str,
) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "settle_refund.sql");
    Ok(tx
        .execute(&stmt, &[&tenant, &id, &status, &event_id])
        .await?)
}

/// Adds a confirmed refund to the order; returns its status and refunded amount after.
pub async fn add_refunded(
    tx: &Tx<'_>,
    tenant: Uuid,
    order: Uuid,
    amount: i64,
) -> Result<(crate::orders::status::OrderStatus, i64), DbError> {
    let stmt = stmt!(tx, "add_refunded.sql");
    let r = tx.query_one(&stmt, &[&tenant, &order, &amount]).await?;
    Ok((r.try_get("status")?, r.try_get("refunded_minor")?))
}

/// A refund as stored.
pub struct RefundRow {
    pub id: Uuid,
    pub order_number: i32,
    pub status: RefundStatus,
    pub amount_minor: i64,
    pub currency: String,
    pub lines_minor: i64,
    pub shipping_minor: i64,
    pub free_minor: i64,
    pub reason: Option<String>,
    pub return_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

pub async fn refunds(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Option<Uuid>,
    order: Option<Uuid>,
) -> Result<Vec<RefundRow>, DbError> {
    let stmt = stmt!(tx, "refunds_view.sql");
    tx.query(&stmt, &[&tenant, &id, &order])
        .await?
        .iter()
        .map(|r| {
            Ok(RefundRow {
                id: r.try_get("id")?,
                order_number: r.try_get("order_number")?,
                status: r.try_get("status")?,
                amount_minor: r.try_get("amount_minor")?,
                currency: r.try_get("currency")?,
                lines_minor: r.try_get("lines_minor")?,
                shipping_minor: r.try_get("shipping_minor")?,
                free_minor: r.try_get("free_minor")?,
                reason: r.try_get("reason")?,
                return_id: r.try_get("return_id")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                settled_at: r.try_get("settled_at")?,
            })
        })
        .collect()
}

/// (refund, SKU, units, amount).
pub async fn refund_lines(
    tx: &Tx<'_>,
    tenant: Uuid,
    refunds: &[Uuid],
) -> Result<Vec<(Uuid, String, i32, i64)>, DbError> {
    let stmt = stmt!(tx, "refund_lines_view.sql");
    tx.query(&stmt, &[&tenant, &refunds])
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("refund_id")?,
                r.try_get("sku")?,
                r.try_get("quantity")?,
                r.try_get("amount_minor")?,
            ))
        })
        .collect()
}

/// A sale a cancellation reverses: (hold, variant, zone, units).
pub async fn restock_holds(
    tx: &Tx<'_>,
    tenant: Uuid,
    order: Uuid,
) -> Result<Vec<(Uuid, Uuid, Uuid, i32)>, DbError> {
    let stmt = stmt!(tx, "restock_holds.sql");
    tx.query(&stmt, &[&tenant, &order])
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("variant_id")?,
                r.try_get("zone_id")?,
                r.try_get("quantity")?,
            ))
        })
        .collect()
}
