//! Order SQL. Every function takes the tenant transaction.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::status::{HoldStatus, OrderStatus};
use crate::{
    db::{DbError, Tx},
    delivery::TaxClass,
    inventory::movement::MovementKind,
};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

pub struct SellableVariant {
    pub id: Uuid,
    pub sku: String,
    pub sellable: bool,
    pub price_minor: i64,
    /// The product's tax class.
    pub tax_class: TaxClass,
    pub weight_grams: Option<i32>,
}

pub async fn variants_for_checkout(
    tx: &Tx<'_>,
    skus: &[String],
) -> Result<Vec<SellableVariant>, DbError> {
    let stmt = stmt!(tx, "variants_for_checkout.sql");
    tx.query(&stmt, &[tx.tenant(), &skus])
        .await?
        .iter()
        .map(|r| {
            Ok(SellableVariant {
                id: r.try_get("id")?,
                sku: r.try_get("sku")?,
                sellable: r.try_get("sellable")?,
                price_minor: r.try_get("price_minor")?,
                tax_class: r.try_get("tax_class")?,
                weight_grams: r.try_get("weight_grams")?,
            })
        })
        .collect()
}

pub async fn idempotency_lock(tx: &Tx<'_>, key: &str) -> Result<(), DbError> {
    let stmt = stmt!(tx, "idempotency_lock.sql");
    tx.execute(&stmt, &[&key]).await?;
    Ok(())
}

pub async fn order_by_idempotency_key(
    tx: &Tx<'_>,
    key: &str,
) -> Result<Option<(Uuid, Vec<u8>)>, DbError> {
    let stmt = stmt!(tx, "order_by_idempotency_key.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &key])
        .await?
        .map(|r| Ok((r.try_get("id")?, r.try_get("request_hash")?)))
        .transpose()
}

/// Holds, until the transaction ends, the lock of one customer key (see customer_lock.sql).
pub async fn customer_lock(tx: &Tx<'_>, key: &str) -> Result<(), DbError> {
    let stmt = stmt!(tx, "customer_lock.sql");
    tx.execute(&stmt, &[&key]).await?;
    Ok(())
}

/// Unpaid orders still holding stock (placed with `email`, placed with `phone`), and the
/// transaction's `now()`.
pub async fn open_orders(
    tx: &Tx<'_>,
    email: &str,
    phone: Option<&str>,
) -> Result<OpenOrders, DbError> {
    let stmt = stmt!(tx, "open_orders.sql");
    let row = tx.query_one(&stmt, &[tx.tenant(), &email, &phone]).await?;
    Ok(OpenOrders {
        by_email: row.try_get("by_email")?,
        by_phone: row.try_get("by_phone")?,
        now: row.try_get("now")?,
    })
}

/// A customer's unpaid orders still holding stock, counted at `now` (the transaction's start).
pub struct OpenOrders {
    pub by_email: i64,
    pub by_phone: i64,
    pub now: DateTime<Utc>,
}

/// The order-level facts checkout stores (place_order.sql).
pub struct NewOrder<'a> {
    pub currency: &'a str,
    pub total_minor: i64,
    pub preferred_zone_id: Option<Uuid>,
    pub idempotency_key: &'a str,
    pub request_hash: &'a [u8],
    pub units: i32,
    /// Who placed the order, as the checkout sent it.
    pub customer_name: &'a str,
    pub customer_phone: Option<&'a str>,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub prices_include_tax: bool,
    /// The checked addresses as stored (`types::Address` as JSON).
    pub shipping_address: Option<serde_json::Value>,
    pub billing_address: Option<serde_json::Value>,
    /// The shipping method's code and name when the order was placed.
    pub shipping_method: Option<(&'a str, &'a str)>,
}

/// An order as checkout writes it in one statement (place_order.sql): its customer, number,
/// lines, holds, stock changes with their ledger rows, and expiry job.
pub struct Placement<'a> {
    pub order: &'a NewOrder<'a>,
    pub order_id: Uuid,
    pub customer_email: &'a str,
    pub customer_language: Option<&'a str>,
    pub holds_expire_at: DateTime<Utc>,
    pub line_ids: &'a [Uuid],
    pub lines: &'a [NewLine],
    /// Each hold's id, with its line and units.
    pub holds: &'a [(Uuid, NewHold)],
    pub deltas: &'a [crate::inventory::engine::Delta],
    pub expiry_job_kind: &'a str,
}

/// place_order.sql, prepared on this connection (once; then from its statement cache).
pub async fn place_order_statement(tx: &Tx<'_>) -> Result<tokio_postgres::Statement, DbError> {
    Ok(stmt!(tx, "place_order.sql"))
}

/// Writes a placed order with `stmt` ([`place_order_statement`]); returns its number and
/// creation time. The statement is prepared beforehand so that the order reaches the
/// connection when this future is first polled, ahead of whatever is polled after it.
pub async fn place_order(
    tx: &Tx<'_>,
    stmt: &tokio_postgres::Statement,
    p: &Placement<'_>,
) -> Result<(i32, DateTime<Utc>), DbError> {
    let o = p.order;
    let positions: Vec<i32> = p.lines.iter().map(|l| l.position).collect();
    let variants: Vec<Uuid> = p.lines.iter().map(|l| l.variant_id).collect();
    let skus: Vec<&str> = p.lines.iter().map(|l| l.sku.as_str()).collect();
    let quantities: Vec<i32> = p.lines.iter().map(|l| l.quantity).collect();
    let prices: Vec<i64> = p.lines.iter().map(|l| l.unit_price_minor).collect();
    let classes: Vec<TaxClass> = p.lines.iter().map(|l| l.tax_class).collect();
    let rates: Vec<i32> = p.lines.iter().map(|l| l.tax_rate_bp).collect();
    let taxes: Vec<i64> = p.lines.iter().map(|l| l.tax_minor).collect();
    let totals: Vec<i64> = p.lines.iter().map(|l| l.line_total_minor).collect();
    let hold_ids: Vec<Uuid> = p.holds.iter().map(|h| h.0).collect();
    let hold_lines: Vec<Uuid> = p.holds.iter().map(|h| h.1.line_id).collect();
    let hold_variants: Vec<Uuid> = p.holds.iter().map(|h| h.1.variant_id).collect();
    let hold_zones: Vec<Uuid> = p.holds.iter().map(|h| h.1.zone_id).collect();
    let hold_quantities: Vec<i32> = p.holds.iter().map(|h| h.1.quantity).collect();
    let d_variants: Vec<Uuid> = p.deltas.iter().map(|d| d.variant_id).collect();
    let d_zones: Vec<Uuid> = p.deltas.iter().map(|d| d.zone_id).collect();
    let d_kinds: Vec<MovementKind> = p.deltas.iter().map(|d| d.kind).collect();
    let d_reserved: Vec<i32> = p.deltas.iter().map(|d| d.reserved).collect();
    let d_reasons: Vec<Option<&str>> = p.deltas.iter().map(|d| d.reason.as_deref()).collect();
    let d_orders: Vec<Option<Uuid>> = p.deltas.iter().map(|d| d.order_id).collect();
    let d_holds: Vec<Option<Uuid>> = p.deltas.iter().map(|d| d.hold_id).collect();
    let d_on_hand: Vec<i32> = p.deltas.iter().map(|d| d.on_hand).collect();
    let row = tx
        .query_one(
            stmt,
            &[
                tx.tenant(),
                &o.customer_name,
                &p.customer_email,
                &o.customer_phone,
                &p.customer_language,
                &p.order_id,
                &o.currency,
                &o.total_minor,
                &o.units,
                &o.preferred_zone_id,
                &o.idempotency_key,
                &o.request_hash,
                &p.holds_expire_at,
                &o.subtotal_minor,
                &o.shipping_minor,
                &o.tax_minor,
                &o.prices_include_tax,
                &o.shipping_address,
                &o.billing_address,
                &o.shipping_method.map(|m| m.0),
                &o.shipping_method.map(|m| m.1),
                &p.line_ids,
                &positions,
                &variants,
                &skus,
                &quantities,
                &prices,
                &classes,
                &rates,
                &taxes,
                &totals,
                &hold_ids,
                &hold_lines,
                &hold_variants,
                &hold_zones,
                &hold_quantities,
                &d_variants,
                &d_zones,
                &d_kinds,
                &d_reserved,
                &d_reasons,
                &d_orders,
                &d_holds,
                &d_on_hand,
                &p.expiry_job_kind,
            ],
        )
        .await?;
    Ok((row.try_get("number")?, row.try_get("created_at")?))
}

pub struct NewLine {
    pub position: i32,
    pub variant_id: Uuid,
    pub sku: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub tax_class: TaxClass,
    pub tax_rate_bp: i32,
    pub tax_minor: i64,
    pub line_total_minor: i64,
}

pub struct NewHold {
    pub line_id: Uuid,
    pub variant_id: Uuid,
    pub zone_id: Uuid,
    pub quantity: i32,
}

pub struct HoldRow {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub zone_id: Uuid,
    pub quantity: i32,
}

/// Inserts holds with `status` (`active`, or `confirmed` for units taken at payment).
pub async fn insert_holds(
    tx: &Tx<'_>,
    order_id: Uuid,
    holds: &[NewHold],
    status: HoldStatus,
    expires_at: DateTime<Utc>,
) -> Result<Vec<HoldRow>, DbError> {
    if holds.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = stmt!(tx, "insert_holds.sql");
    let lines: Vec<Uuid> = holds.iter().map(|h| h.line_id).collect();
    let variants: Vec<Uuid> = holds.iter().map(|h| h.variant_id).collect();
    let zones: Vec<Uuid> = holds.iter().map(|h| h.zone_id).collect();
    let quantities: Vec<i32> = holds.iter().map(|h| h.quantity).collect();
    tx.query(
        &stmt,
        &[
            tx.tenant(),
            &order_id,
            &lines,
            &variants,
            &zones,
            &quantities,
            &status,
            &expires_at,
        ],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(HoldRow {
            id: r.try_get("id")?,
            variant_id: r.try_get("variant_id")?,
            zone_id: r.try_get("zone_id")?,
            quantity: r.try_get("quantity")?,
        })
    })
    .collect()
}

pub struct OrderRow {
    /// The order's brand (the transaction's: row-level security shows no other).
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub number: i32,
    pub status: OrderStatus,
    pub currency: String,
    pub total_minor: i64,
    pub holds_expire_at: DateTime<Utc>,
    pub conflict_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub expired_at: Option<DateTime<Utc>>,
    pub customer_name: String,
    pub customer_phone: Option<String>,
    pub customer_email: Option<String>,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub prices_include_tax: Option<bool>,
    pub shipping_address: Option<serde_json::Value>,
    pub billing_address: Option<serde_json::Value>,
    pub shipping_method_code: Option<String>,
    pub shipping_method_name: Option<String>,
    /// What confirmed refunds paid back.
    pub refunded_minor: i64,
}

fn order_from_row(r: &Row) -> Result<OrderRow, DbError> {
    Ok(OrderRow {
        tenant_id: r.try_get("tenant_id")?,
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        status: r.try_get("status")?,
        currency: r.try_get("currency")?,
        total_minor: r.try_get("total_minor")?,
        holds_expire_at: r.try_get("holds_expire_at")?,
        conflict_reason: r.try_get("conflict_reason")?,
        created_at: r.try_get("created_at")?,
        paid_at: r.try_get("paid_at")?,
        shipped_at: r.try_get("shipped_at")?,
        cancelled_at: r.try_get("cancelled_at")?,
        expired_at: r.try_get("expired_at")?,
        customer_name: r.try_get("customer_name")?,
        customer_phone: r.try_get("customer_phone")?,
        customer_email: r.try_get("customer_email")?,
        subtotal_minor: r.try_get("subtotal_minor")?,
        shipping_minor: r.try_get("shipping_minor")?,
        tax_minor: r.try_get("tax_minor")?,
        prices_include_tax: r.try_get("prices_include_tax")?,
        shipping_address: r.try_get("shipping_address")?,
        billing_address: r.try_get("billing_address")?,
        shipping_method_code: r.try_get("shipping_method_code")?,
        shipping_method_name: r.try_get("shipping_method_name")?,
        refunded_minor: r.try_get("refunded_minor")?,
    })
}

pub async fn order_view(
    tx: &Tx<'_>,
    id: Option<Uuid>,
    number: Option<i32>,
) -> Result<Option<OrderRow>, DbError> {
    let stmt = stmt!(tx, "order_view.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &id, &number])
        .await?
        .as_ref()
        .map(order_from_row)
        .transpose()
}

pub struct LineRow {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    /// Null for lines placed before taxes.
    pub tax_class: Option<TaxClass>,
    pub tax_rate_bp: i32,
    pub tax_minor: i64,
    pub line_total_minor: i64,
}

pub async fn order_lines(tx: &Tx<'_>, order_id: Uuid) -> Result<Vec<LineRow>, DbError> {
    let stmt = stmt!(tx, "order_lines_view.sql");
    tx.query(&stmt, &[tx.tenant(), &order_id])
        .await?
        .iter()
        .map(|r| {
            Ok(LineRow {
                id: r.try_get("id")?,
                variant_id: r.try_get("variant_id")?,
                sku: r.try_get("sku")?,
                quantity: r.try_get("quantity")?,
                unit_price_minor: r.try_get("unit_price_minor")?,
                tax_class: r.try_get("tax_class")?,
                tax_rate_bp: r.try_get("tax_rate_bp")?,
                tax_minor: r.try_get("tax_minor")?,
                line_total_minor: r.try_get("line_total_minor")?,
            })
        })
        .collect()
}

pub struct OrderHold {
    pub id: Uuid,
    pub line_id: Uuid,
    pub variant_id: Uuid,
    pub zone_id: Uuid,
    pub zone_code: String,
    pub quantity: i32,
    pub status: HoldStatus,
    /// Units of a confirmed hold (a sale) that have left the warehouse.
    pub shipped_quantity: i32,
}

pub async fn order_holds(tx: &Tx<'_>, order_id: Uuid) -> Result<Vec<OrderHold>, DbError> {
    let stmt = stmt!(tx, "order_holds.sql");
    tx.query(&stmt, &[tx.tenant(), &order_id])
        .await?
        .iter()
        .map(|r| {
            Ok(OrderHold {
                id: r.try_get("id")?,
                line_id: r.try_get("order_line_id")?,
                variant_id: r.try_get("variant_id")?,
                zone_id: r.try_get("zone_id")?,
                zone_code: r.try_get("zone_code")?,
                quantity: r.try_get("quantity")?,
                status: r.try_get("status")?,
                shipped_quantity: r.try_get("shipped_quantity")?,
            })
        })
        .collect()
}

pub struct LockedOrder {
    pub id: Uuid,
    pub number: i32,
    pub status: OrderStatus,
    pub currency: String,
    pub total_minor: i64,
    pub preferred_zone_id: Option<Uuid>,
    pub holds_expire_at: DateTime<Utc>,
    pub holds_expired: bool,
}

pub async fn lock_order(
    tx: &Tx<'_>,
    id: Option<Uuid>,
    number: Option<i32>,
) -> Result<Option<LockedOrder>, DbError> {
    let stmt = stmt!(tx, "lock_order.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &id, &number])
        .await?
        .map(|r| {
            Ok(LockedOrder {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                status: r.try_get("status")?,
                currency: r.try_get("currency")?,
                total_minor: r.try_get("total_minor")?,
                preferred_zone_id: r.try_get("preferred_zone_id")?,
                holds_expire_at: r.try_get("holds_expire_at")?,
                holds_expired: r.try_get("holds_expired")?,
            })
        })
        .transpose()
}

pub async fn set_order_status(
    tx: &Tx<'_>,
    id: Uuid,
    status: OrderStatus,
    reason: Option<&str>,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "set_order_status.sql");
    tx.execute(&stmt, &[tx.tenant(), &id, &status, &reason])
        .await?;
    Ok(())
}

pub async fn end_holds(tx: &Tx<'_>, ids: &[Uuid], status: HoldStatus) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = stmt!(tx, "end_holds.sql");
    tx.execute(&stmt, &[tx.tenant(), &ids, &status]).await?;
    Ok(())
}

pub async fn payment_event(tx: &Tx<'_>, event_id: &str) -> Result<Option<(Uuid, String)>, DbError> {
    let stmt = stmt!(tx, "payment_event.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &event_id])
        .await?
        .map(|r| Ok((r.try_get("order_id")?, r.try_get("outcome")?)))
        .transpose()
}

pub async fn insert_payment_event(
    tx: &Tx<'_>,
    event_id: &str,
    order_id: Uuid,
    outcome: &str,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "insert_payment_event.sql");
    tx.execute(&stmt, &[tx.tenant(), &event_id, &order_id, &outcome])
        .await?;
    Ok(())
}

pub struct OrderSummary {
    pub number: i32,
    pub status: OrderStatus,
    pub currency: String,
    pub total_minor: i64,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub line_count: i64,
}

pub struct OrderFilter<'a> {
    pub before_number: Option<i32>,
    pub status: Option<OrderStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub customer_email: Option<&'a str>,
    pub limit: i64,
}

pub async fn orders_list(tx: &Tx<'_>, f: &OrderFilter<'_>) -> Result<Vec<OrderSummary>, DbError> {
    let stmt = stmt!(tx, "orders_list.sql");
    tx.query(
        &stmt,
        &[
            tx.tenant(),
            &f.before_number,
            &f.status,
            &f.from,
            &f.to,
            &f.customer_email,
            &f.limit,
        ],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(OrderSummary {
            number: r.try_get("number")?,
            status: r.try_get("status")?,
            currency: r.try_get("currency")?,
            total_minor: r.try_get("total_minor")?,
            created_at: r.try_get("created_at")?,
            paid_at: r.try_get("paid_at")?,
            customer_name: r.try_get("customer_name")?,
            customer_email: r.try_get("customer_email")?,
            line_count: r.try_get("line_count")?,
        })
    })
    .collect()
}

pub struct OrderMovement {
    pub sku: String,
    pub zone_code: String,
    pub kind: MovementKind,
    pub on_hand_delta: i32,
    pub reserved_delta: i32,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn order_movements(tx: &Tx<'_>, order_id: Uuid) -> Result<Vec<OrderMovement>, DbError> {
    let stmt = stmt!(tx, "order_movements.sql");
    tx.query(&stmt, &[tx.tenant(), &order_id])
        .await?
        .iter()
        .map(|r| {
            Ok(OrderMovement {
                sku: r.try_get("sku")?,
                zone_code: r.try_get("zone_code")?,
                kind: r.try_get("kind")?,
                on_hand_delta: r.try_get("on_hand_delta")?,
                reserved_delta: r.try_get("reserved_delta")?,
                reason: r.try_get("reason")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

pub struct PickRow {
    pub zone_code: String,
    pub sku: String,
    pub product_name: String,
    /// Units still to ship from this zone.
    pub quantity: i64,
    /// The orders they are for, by number.
    pub orders: Vec<i32>,
    /// Each order's units, in the order of `orders`.
    pub order_quantities: Vec<i64>,
    /// Per order: where and how it ships, by order number.
    pub deliveries: Vec<PickDelivery>,
}

/// Where and how one order of a pick-list row ships.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PickDelivery {
    pub order: i32,
    pub shipping_method_code: Option<String>,
    pub shipping_method_name: Option<String>,
    pub shipping_address: Option<crate::types::Address>,
}

pub async fn pick_list(
    tx: &Tx<'_>,
    tenant: Uuid,
    zone: Option<&str>,
) -> Result<Vec<PickRow>, DbError> {
    let stmt = stmt!(tx, "pick_list.sql");
    tx.query(&stmt, &[&tenant, &zone])
        .await?
        .iter()
        .map(|r| {
            Ok(PickRow {
                zone_code: r.try_get("zone_code")?,
                sku: r.try_get("sku")?,
                product_name: r.try_get("product_name")?,
                quantity: r.try_get("quantity")?,
                orders: r.try_get("orders")?,
                deliveries: {
                    let value: serde_json::Value = r.try_get("deliveries")?;
                    // Built by the statement from checked snapshots; a document that is not
                    // one shows no deliveries rather than failing the pick list.
                    let mut d: Vec<PickDelivery> =
                        serde_json::from_value(value).unwrap_or_default();
                    d.sort_by_key(|d| d.order);
                    d
                },
                order_quantities: r.try_get("order_quantities")?,
            })
        })
        .collect()
}

/// Counts `quantities` more units of each confirmed hold in `holds` as shipped.
pub async fn ship_holds(
    tx: &Tx<'_>,
    tenant: Uuid,
    holds: &[Uuid],
    quantities: &[i32],
) -> Result<(), DbError> {
    if holds.is_empty() {
        return Ok(());
    }
    let stmt = stmt!(tx, "ship_holds.sql");
    tx.execute(&stmt, &[&tenant, &holds, &quantities]).await?;
    Ok(())
}

/// A parcel to record.
pub struct NewShipment<'a> {
    pub order_id: Uuid,
    pub zone_id: Uuid,
    pub carrier: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
    pub tracking_url: Option<&'a str>,
}

/// Inserts a shipment and its lines (order line, units); returns its id, author and time.
pub async fn insert_shipment(
    tx: &Tx<'_>,
    tenant: Uuid,
    s: &NewShipment<'_>,
    lines: &[(Uuid, i32)],
) -> Result<(Uuid, Option<Uuid>, DateTime<Utc>), DbError> {
    let stmt = stmt!(tx, "insert_shipment.sql");
    let row = tx
        .query_one(
            &stmt,
            &[
                &tenant,
                &s.order_id,
                &s.zone_id,
                &s.carrier,
                &s.tracking_number,
                &s.tracking_url,
            ],
        )
        .await?;
    let id: Uuid = row.try_get("id")?;
    let line_ids: Vec<Uuid> = lines.iter().map(|(l, _)| *l).collect();
    let quantities: Vec<i32> = lines.iter().map(|(_, q)| *q).collect();
    let stmt = stmt!(tx, "insert_shipment_lines.sql");
    tx.execute(&stmt, &[&tenant, &id, &line_ids, &quantities])
        .await?;
    Ok((id, row.try_get("created_by")?, row.try_get("shipped_at")?))
}

pub struct ShipmentRow {
    pub id: Uuid,
    pub zone_code: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub created_by: Option<Uuid>,
    pub shipped_at: DateTime<Utc>,
}

/// An order's shipments, in the order they left.
pub async fn order_shipments(
    tx: &Tx<'_>,
    tenant: Uuid,
    order_id: Uuid,
) -> Result<Vec<ShipmentRow>, DbError> {
    let stmt = stmt!(tx, "order_shipments.sql");
    tx.query(&stmt, &[&tenant, &order_id])
        .await?
        .iter()
        .map(|r| {
            Ok(ShipmentRow {
                id: r.try_get("id")?,
                zone_code: r.try_get("zone_code")?,
                carrier: r.try_get("carrier")?,
                tracking_number: r.try_get("tracking_number")?,
                tracking_url: r.try_get("tracking_url")?,
                created_by: r.try_get("created_by")?,
                shipped_at: r.try_get("shipped_at")?,
            })
        })
        .collect()
}

pub struct ShipmentLineRow {
    pub shipment_id: Uuid,
    pub sku: String,
    pub quantity: i32,
}

/// The lines of every shipment of an order, in line order.
pub async fn order_shipment_lines(
    tx: &Tx<'_>,
    tenant: Uuid,
    order_id: Uuid,
) -> Result<Vec<ShipmentLineRow>, DbError> {
    let stmt = stmt!(tx, "order_shipment_lines.sql");
    tx.query(&stmt, &[&tenant, &order_id])
        .await?
        .iter()
        .map(|r| {
            Ok(ShipmentLineRow {
                shipment_id: r.try_get("shipment_id")?,
                sku: r.try_get("sku")?,
                quantity: r.try_get("quantity")?,
            })
        })
        .collect()
}

pub struct CustomerRow {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub whatsapp_id: Option<String>,
    pub preferred_language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub order_count: i64,
}

pub async fn customers_list(
    tx: &Tx<'_>,
    q: Option<&str>,
    limit: i64,
) -> Result<Vec<CustomerRow>, DbError> {
    let stmt = stmt!(tx, "customers_list.sql");
    tx.query(&stmt, &[tx.tenant(), &q, &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(CustomerRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                phone: r.try_get("phone")?,
                whatsapp_id: r.try_get("whatsapp_id")?,
                preferred_language: r.try_get("preferred_language")?,
                created_at: r.try_get("created_at")?,
                order_count: r.try_get("order_count")?,
            })
        })
        .collect()
}

/// Units of one SKU one checkout may hold, unless the brand sets otherwise (also the column
/// default in V16 and upsert_brand_settings.sql).
pub const DEFAULT_MAX_UNITS_PER_SKU: i32 = 20;
/// Unpaid orders holding stock per customer email (and per phone), unless the brand sets
/// otherwise (also in V16 and upsert_brand_settings.sql).
pub const DEFAULT_MAX_OPEN_ORDERS_PER_CUSTOMER: i32 = 3;

/// The brand's order settings as stored.
#[derive(Debug, Clone)]
pub struct BrandSettings {
    pub hold_minutes: i32,
    pub payment_webhook_secret: Option<String>,
    pub max_units_per_sku: i32,
    pub max_open_orders_per_customer: i32,
    /// Whether catalog and shipping prices include tax.
    pub prices_include_tax: bool,
    /// The country taxed when a checkout gives no shipping address.
    pub tax_origin_country: Option<String>,
}

/// The brand's order settings, or the defaults when it never saved any.
pub async fn brand_settings(tx: &Tx<'_>) -> Result<BrandSettings, DbError> {
    let stmt = stmt!(tx, "brand_settings.sql");
    Ok(match tx.query_opt(&stmt, &[tx.tenant()]).await? {
        Some(r) => BrandSettings {
            hold_minutes: r.try_get("hold_minutes")?,
            payment_webhook_secret: r.try_get("payment_webhook_secret")?,
            max_units_per_sku: r.try_get("max_units_per_sku")?,
            max_open_orders_per_customer: r.try_get("max_open_orders_per_customer")?,
            prices_include_tax: r.try_get("prices_include_tax")?,
            tax_origin_country: r.try_get("tax_origin_country")?,
        },
        None => BrandSettings {
            hold_minutes: 15,
            payment_webhook_secret: None,
            max_units_per_sku: DEFAULT_MAX_UNITS_PER_SKU,
            max_open_orders_per_customer: DEFAULT_MAX_OPEN_ORDERS_PER_CUSTOMER,
            prices_include_tax: false,
            tax_origin_country: None,
        },
    })
}

/// A change of the order settings: `None` keeps a value; `secret: Some(None)` removes it.
pub struct BrandSettingsChange<'a> {
    pub hold_minutes: Option<i32>,
    pub secret: Option<Option<&'a str>>,
    pub max_units_per_sku: Option<i32>,
    pub max_open_orders_per_customer: Option<i32>,
    pub prices_include_tax: Option<bool>,
    /// `Some(v)` sets it to `v` (`None` removes it).
    pub tax_origin_country: Option<Option<&'a str>>,
}

pub async fn upsert_brand_settings(
    tx: &Tx<'_>,
    change: &BrandSettingsChange<'_>,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "upsert_brand_settings.sql");
    let set_secret = change.secret.is_some();
    let value = change.secret.flatten();
    tx.execute(
        &stmt,
        &[
            tx.tenant(),
            &change.hold_minutes,
            &value,
            &set_secret,
            &change.max_units_per_sku,
            &change.max_open_orders_per_customer,
            &change.prices_include_tax,
            &change.tax_origin_country.flatten(),
            &change.tax_origin_country.is_some(),
        ],
    )
    .await?;
    Ok(())
}
