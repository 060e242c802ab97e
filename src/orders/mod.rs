//! Customers, checkout with two-phase reservations, payment confirmation, expiry,
//! cancellation and fulfilment.
//!
//! Order states: `pending_payment -> paid -> [partially_shipped ->] shipped`, plus
//! `cancelled`, `expired`, `payment_conflict` (paid when its stock was gone, or paid for the
//! wrong amount: a human decides) and `refunded` (its whole total went back). Illegal
//! transitions are 409s. Shipments (parcels with carrier and tracking, and the stock rule when
//! a parcel is picked in another zone than the one its units were sold from) are in
//! [`shipment`]; returns, refunds and cancelling a paid order in [`returns`].

pub mod admin_api;
pub mod api;
mod charges;
pub mod checkout;
pub mod lifecycle;
pub mod payment;
pub(crate) mod repo;
pub mod returns;
pub mod service;
pub mod shipment;
pub mod status;
pub mod token;

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use crate::{
    db::{DbError, Retryable, Tx},
    delivery::TaxClass,
    error::{ApiError, DomainError, FieldError, UnavailableItem},
    inventory::movement::MovementKind,
    types::{Address, Nullable},
};
use status::{HoldStatus, OrderStatus};

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("not enough stock")]
    Unavailable(Vec<UnavailableItem>),
    /// The customer already has as many unpaid orders as the brand allows (409).
    #[error("{0}")]
    OpenOrderLimit(String),
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyMismatch,
    /// The checkout's shipping method cannot take the order (422
    /// `ineligible-shipping-method`).
    #[error("{0}")]
    IneligibleShippingMethod(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A promo code that is unknown, not applicable or used up (422 or 409).
    #[error(transparent)]
    Promotion(#[from] crate::promotions::PromotionError),
    /// A refund asks for more than the order captured minus its earlier refunds (409
    /// `refund-exceeds-captured`).
    #[error("{0}")]
    RefundExceedsCaptured(String),
    /// A body that is not the document it should be (400).
    #[error("{0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Retryable for OrderError {
    fn is_retryable(&self) -> bool {
        match self {
            OrderError::Db(e) => e.is_retryable(),
            OrderError::Promotion(e) => e.is_retryable(),
            _ => false,
        }
    }
}

impl From<DomainError> for OrderError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => OrderError::Invalid(errors),
            DomainError::NotFound(what) => OrderError::NotFound(what),
            DomainError::Conflict(what) => OrderError::Conflict(what),
            DomainError::Db(db) => OrderError::Db(db),
        }
    }
}

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::Invalid(errors) => ApiError::invalid(errors),
            OrderError::NotFound(what) => ApiError::not_found(what),
            OrderError::Conflict(what) => ApiError::conflict(what),
            OrderError::Unavailable(items) => ApiError::out_of_stock(items),
            OrderError::OpenOrderLimit(what) => ApiError::open_order_limit(what),
            OrderError::IdempotencyMismatch => {
                ApiError::invalid_field("Idempotency-Key", e.to_string())
            }
            OrderError::IneligibleShippingMethod(what) => {
                ApiError::ineligible_shipping_method(what)
            }
            OrderError::Unauthorized(what) => ApiError::unauthorized(what),
            OrderError::Promotion(e) => e.into(),
            OrderError::Malformed(what) => ApiError::bad_request(what),
            OrderError::RefundExceedsCaptured(what) => ApiError::refund_exceeds_captured(what),
            OrderError::Db(db) => db.into(),
        }
    }
}

/// Where a line's units are: one hold per stock row.
#[derive(Debug, Clone, Object)]
#[oai(rename = "OrderAllocation")]
pub struct Allocation {
    pub zone: String,
    pub quantity: i32,
    /// `active` (held until `holds_expire_at`), `confirmed` (sold), `released`, `expired`.
    pub status: HoldStatus,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "OrderLine")]
pub struct Line {
    pub sku: String,
    pub quantity: i32,
    /// As the brand prices (with tax when the order's `prices_include_tax`).
    pub unit_price_minor: i64,
    /// The line's share of the promotions' discount, taken off before its tax.
    pub discount_minor: i64,
    /// What the line costs the customer, tax included: unit price x quantity - discount, plus
    /// `tax_minor` when the order's prices exclude tax.
    pub line_total_minor: i64,
    /// The product's tax class when the order was placed; `null` for orders placed before
    /// taxes existed.
    pub tax_class: Nullable<TaxClass>,
    /// The rate applied, in basis points (2000 = 20 %); 0 when the order's country has no
    /// rate for the class.
    pub tax_rate_bp: i32,
    /// The line's tax: rate x (unit price x quantity - discount) rounded half up (prices
    /// exclusive), or the part of it that is tax (prices inclusive).
    pub tax_minor: i64,
    /// Units of this line that have left the warehouse (in the order's `shipments`);
    /// `quantity - shipped_quantity` are still to ship once the order is paid.
    pub shipped_quantity: i32,
    pub allocations: Vec<Allocation>,
}

/// A postal address as the checkout sent it (trimmed, checked).
#[derive(Debug, Clone, Object)]
#[oai(rename = "OrderAddress")]
pub struct OrderAddress {
    pub name: String,
    pub line1: String,
    pub line2: Nullable<String>,
    pub city: String,
    /// Uppercased; `null` in countries without postal codes.
    pub postal_code: Nullable<String>,
    pub region: Nullable<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub phone: Nullable<String>,
}

impl From<Address> for OrderAddress {
    fn from(a: Address) -> Self {
        Self {
            name: a.name,
            line1: a.line1,
            line2: a.line2.into(),
            city: a.city,
            postal_code: a.postal_code.into(),
            region: a.region.into(),
            country: a.country,
            phone: a.phone.into(),
        }
    }
}

/// A stored address (JSON written by checkout) for a view.
fn stored_address(value: Option<serde_json::Value>) -> Nullable<OrderAddress> {
    value
        .and_then(|v| serde_json::from_value::<Address>(v).ok())
        .map(OrderAddress::from)
        .into()
}

/// The shipping method an order was placed with, as it was then.
#[derive(Debug, Clone, Object)]
#[oai(rename = "OrderShippingMethod")]
pub struct ShippingMethodRef {
    pub code: String,
    pub name: String,
}

/// Units of one order line in a shipment.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ShipmentLine")]
pub struct ShipmentLine {
    pub sku: String,
    pub quantity: i32,
}

/// A parcel of the order: what left the warehouse, from which zone, with which carrier and
/// tracking.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Shipment")]
pub struct Shipment {
    pub id: Uuid,
    /// The code of the zone the parcel left from.
    pub zone: String,
    /// The carrier, e.g. `DHL`; null for a shipment recorded without tracking
    /// (`POST /v1/admin/orders/{number}/ship`).
    pub carrier: Nullable<String>,
    pub tracking_number: Nullable<String>,
    /// An `https://` link to the carrier's tracking page.
    pub tracking_url: Nullable<String>,
    pub shipped_at: DateTime<Utc>,
    pub lines: Vec<ShipmentLine>,
    /// The staff member who recorded it, in staff views; `null` for the customer.
    pub created_by: Nullable<Uuid>,
}

/// Who placed the order, as its checkout sent them (a later checkout with the same email
/// changes neither this nor the stored customer), with the email the order is attached to.
#[derive(Debug, Clone, Object)]
#[oai(rename = "OrderCustomer")]
pub struct Customer {
    pub name: String,
    pub email: Nullable<String>,
    pub phone: Nullable<String>,
}

/// A stock change caused by the order (staff views only).
#[derive(Debug, Clone, Object)]
#[oai(rename = "OrderMovement")]
pub struct Movement {
    pub sku: String,
    pub zone: String,
    pub kind: MovementKind,
    pub on_hand_delta: i32,
    pub reserved_delta: i32,
    pub reason: Nullable<String>,
    pub at: DateTime<Utc>,
}

/// An order.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Order")]
pub struct Order {
    pub id: Uuid,
    /// The brand's order number.
    pub number: i32,
    /// `pending_payment`, `paid`, `partially_shipped`, `shipped`, `cancelled`, `expired` or
    /// `payment_conflict`.
    pub status: OrderStatus,
    pub currency: String,
    /// The lines' amounts as the brand prices them (with tax when `prices_include_tax`).
    pub subtotal_minor: i64,
    /// The shipping price charged (0 for brands without shipping methods), priced as the
    /// brand prices (with tax when `prices_include_tax`).
    pub shipping_minor: i64,
    /// The promotions' discount: the lines' discounts plus the shipping's (free shipping).
    pub discount_minor: i64,
    /// The promotions applied, as they were when the order was placed.
    pub promotions: Vec<crate::promotions::AppliedPromotion>,
    /// The order's tax: its lines' plus the shipping's (at the tax country's standard rate),
    /// computed after the discounts. Included in the prices when `prices_include_tax`, added
    /// on top otherwise.
    pub tax_minor: i64,
    /// The amount to pay: `subtotal - discount + shipping + tax` when prices exclude tax,
    /// `subtotal - discount + shipping` when they include it.
    pub total_minor: i64,
    /// The brand's setting when the order was placed; `null` for orders placed before taxes
    /// existed (no tax).
    pub prices_include_tax: Nullable<bool>,
    /// The method the order ships with; `null` when the brand had none.
    pub shipping_method: Nullable<ShippingMethodRef>,
    /// Where the order ships to. `null` when the checkout gave none, and for staff whose role
    /// may not read customers (`customers.read`), like `customer`.
    pub shipping_address: Nullable<OrderAddress>,
    /// The billing address, when the checkout gave one (masked like `shipping_address`).
    pub billing_address: Nullable<OrderAddress>,
    /// Until then the units are held for this order; unpaid after that, it expires.
    pub holds_expire_at: DateTime<Utc>,
    /// Why the order needs a human (status `payment_conflict`).
    pub conflict_reason: Nullable<String>,
    /// Who ordered. Null for staff whose role may not read customers (`customers.read`: the
    /// warehouse role sees orders without who placed them).
    pub customer: Nullable<Customer>,
    pub lines: Vec<Line>,
    /// Its parcels, in the order they left (empty until the first one).
    pub shipments: Vec<Shipment>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Nullable<DateTime<Utc>>,
    /// When its last units left the warehouse (status `shipped`).
    pub shipped_at: Nullable<DateTime<Utc>>,
    pub cancelled_at: Nullable<DateTime<Utc>>,
    pub expired_at: Nullable<DateTime<Utc>>,
    /// What confirmed refunds paid back, in minor units (0 until a refund is confirmed by the
    /// payment provider; refunds still waiting are in `GET /v1/admin/orders/{number}/refunds`).
    pub refunded_minor: i64,
    /// The stock movements of this order, in order, in staff views; `null` for the customer.
    pub movements: Nullable<Vec<Movement>>,
}

/// Writes an order's event in its transaction: the order's id, number, status and total
/// (the brand's own ids and figures), plus `extra`. Called last in the transaction.
pub(crate) async fn record_event(
    tx: &Tx<'_>,
    event_type: crate::events::EventType,
    order: &repo::LockedOrder,
    status: OrderStatus,
    extra: Option<(&str, &str)>,
) -> Result<(), DbError> {
    let mut payload = serde_json::json!({
        "order_id": order.id,
        "number": order.number,
        "status": status,
        "total_minor": order.total_minor,
        "currency": order.currency,
    });
    if let (Some((key, value)), Some(map)) = (extra, payload.as_object_mut()) {
        map.insert(key.to_owned(), value.into());
    }
    crate::events::record(tx, event_type, &order.number.to_string(), payload, None).await?;
    Ok(())
}

/// An order's shipments with their lines; who recorded them only in staff views.
pub(crate) async fn load_shipments(
    tx: &Tx<'_>,
    tenant: Uuid,
    order_id: Uuid,
    for_staff: bool,
) -> Result<Vec<Shipment>, DbError> {
    let shipments = repo::order_shipments(tx, tenant, order_id).await?;
    if shipments.is_empty() {
        return Ok(Vec::new());
    }
    let lines = repo::order_shipment_lines(tx, tenant, order_id).await?;
    Ok(shipments
        .into_iter()
        .map(|s| Shipment {
            lines: lines
                .iter()
                .filter(|l| l.shipment_id == s.id)
                .map(|l| ShipmentLine {
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            id: s.id,
            zone: s.zone_code,
            carrier: s.carrier.into(),
            tracking_number: s.tracking_number.into(),
            tracking_url: s.tracking_url.into(),
            shipped_at: s.shipped_at,
            created_by: s.created_by.filter(|_| for_staff).into(),
        })
        .collect())
}

/// Loads an order with its lines, allocations and shipments (and, for staff, its movements
/// and who recorded each shipment).
pub(crate) async fn load_order(
    tx: &Tx<'_>,
    id: Option<Uuid>,
    number: Option<i32>,
    with_movements: bool,
) -> Result<Option<Order>, DbError> {
    let Some(o) = repo::order_view(tx, id, number).await? else {
        return Ok(None);
    };
    let lines = repo::order_lines(tx, o.id).await?;
    let holds = repo::order_holds(tx, o.id).await?;
    let shipments = load_shipments(tx, o.tenant_id, o.id, with_movements).await?;
    let discounts = crate::promotions::service::order_discounts(tx, o.tenant_id, o.id).await?;
    let movements = if with_movements {
        Some(
            repo::order_movements(tx, o.id)
                .await?
                .into_iter()
                .map(|m| Movement {
                    sku: m.sku,
                    zone: m.zone_code,
                    kind: m.kind,
                    on_hand_delta: m.on_hand_delta,
                    reserved_delta: m.reserved_delta,
                    reason: m.reason.into(),
                    at: m.at,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Some(Order {
        id: o.id,
        number: o.number,
        status: o.status,
        currency: o.currency,
        subtotal_minor: o.subtotal_minor,
        shipping_minor: o.shipping_minor,
        discount_minor: discounts.discount_minor,
        promotions: discounts.promotions,
        tax_minor: o.tax_minor,
        total_minor: o.total_minor,
        prices_include_tax: o.prices_include_tax.into(),
        shipping_method: o
            .shipping_method_code
            .map(|code| ShippingMethodRef {
                name: o.shipping_method_name.unwrap_or_else(|| code.clone()),
                code,
            })
            .into(),
        shipping_address: stored_address(o.shipping_address),
        billing_address: stored_address(o.billing_address),
        holds_expire_at: o.holds_expire_at,
        conflict_reason: o.conflict_reason.into(),
        customer: Some(Customer {
            name: o.customer_name,
            email: o.customer_email.into(),
            phone: o.customer_phone.into(),
        })
        .into(),
        lines: lines
            .into_iter()
            .map(|l| Line {
                allocations: holds
                    .iter()
                    .filter(|h| h.line_id == l.id)
                    .map(|h| Allocation {
                        zone: h.zone_code.clone(),
                        quantity: h.quantity,
                        status: h.status,
                    })
                    .collect(),
                discount_minor: discounts.lines.get(&l.id).copied().unwrap_or(0),
                line_total_minor: l.line_total_minor,
                tax_class: l.tax_class.into(),
                tax_rate_bp: l.tax_rate_bp,
                tax_minor: l.tax_minor,
                shipped_quantity: holds
                    .iter()
                    .filter(|h| h.line_id == l.id)
                    .map(|h| h.shipped_quantity)
                    .sum(),
                sku: l.sku,
                quantity: l.quantity,
                unit_price_minor: l.unit_price_minor,
            })
            .collect(),
        shipments,
        created_at: o.created_at,
        paid_at: o.paid_at.into(),
        shipped_at: o.shipped_at.into(),
        cancelled_at: o.cancelled_at.into(),
        expired_at: o.expired_at.into(),
        refunded_minor: o.refunded_minor,
        movements: movements.into(),
    }))
}
