//! Refunds: requested by a manager (idempotent by key) or by cancelling a paid order, sent to
//! the payment provider as the `refund.requested` event, settled exactly once by the signed
//! payment callback.
//!
//! Exactness: amounts are integer minor units. A line's units are refunded at their share of
//! the line's total ([`super::line_share`]: all of a line's units give back its total exactly);
//! the shipping's part is the order's total minus its lines' totals (shipping and its tax),
//! refundable once; a free amount is any positive amount. Under the order's row lock, the
//! refunds that did not fail never add up to more than the order's total, and confirmed ones
//! are added to the order's `refunded_minor`, which the table's check keeps within the total.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{
    OrderRefunds, Refund, RefundLine, RefundStatus, line_share, repo,
    service::{LineInput, parse_lines, parse_text, spread},
};
use crate::{
    audit,
    db::{Db, DbError, Tx},
    error::FieldError,
    events::{self, EventType},
    inventory::{engine, movement::MovementKind},
    orders::{Order, OrderError, load_order, repo as orders_repo, status::OrderStatus},
    scope::TenantScope,
};

/// The largest free amount one refund may name (ten billion major units).
const MAX_FREE_MINOR: i64 = 1_000_000_000_000;

/// A refund request, unparsed.
#[derive(Debug, Clone, Default)]
pub struct RefundInput {
    /// Units of SKUs of the order (their share of each line's total).
    pub lines: Vec<LineInput>,
    /// The shipping's part (once per order).
    pub shipping: bool,
    /// A free amount on top, in minor units.
    pub amount_minor: Option<i64>,
    pub reason: Option<String>,
    /// The return this refund pays back (one of the order's).
    pub return_id: Option<Uuid>,
}

/// A refund and whether an earlier request with the same key made it.
pub struct Requested {
    pub refund: Refund,
    pub replayed: bool,
}

/// The request's fingerprint: a retry with the same key must repeat the same request.
fn request_hash(
    number: i32,
    lines: &BTreeMap<String, (usize, i32)>,
    input: &RefundInput,
    reason: Option<&str>,
) -> Vec<u8> {
    let canonical = serde_json::json!({
        "order": number,
        "lines": lines.iter().map(|(sku, (_, q))| (sku.clone(), *q)).collect::<Vec<_>>(),
        "shipping": input.shipping,
        "amount_minor": input.amount_minor,
        "reason": reason,
        "return_id": input.return_id,
    });
    ring::digest::digest(&ring::digest::SHA256, canonical.to_string().as_bytes())
        .as_ref()
        .to_vec()
}

/// Units per SKU and the reason of a request, checked (every invalid field at once).
type Parsed = (BTreeMap<String, (usize, i32)>, Option<String>);

fn parse(idempotency_key: &str, input: &RefundInput) -> Result<Parsed, OrderError> {
    let mut errors = Vec::new();
    if idempotency_key.trim().is_empty()
        || idempotency_key.len() > 200
        || idempotency_key.contains('\0')
    {
        errors.push(FieldError::new("Idempotency-Key", "1 to 200 characters"));
    }
    let lines = if input.lines.is_empty() {
        BTreeMap::new()
    } else {
        parse_lines(&mut errors, &input.lines)
    };
    let reason = input
        .reason
        .as_deref()
        .and_then(|r| parse_text(&mut errors, "reason", r, 1000));
    if let Some(a) = input.amount_minor
        && !(1..=MAX_FREE_MINOR).contains(&a)
    {
        errors.push(FieldError::new(
            "amount_minor",
            format!("1 to {MAX_FREE_MINOR}"),
        ));
    }
    if input.lines.is_empty() && !input.shipping && input.amount_minor.is_none() {
        errors.push(FieldError::new(
            "lines",
            "name lines, the shipping or an amount_minor to refund",
        ));
    }
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    Ok((lines, reason))
}

/// The order lines' units and amounts a request refunds: per SKU at most the units not
/// refunded yet, each line's amount its share up to its refunded units minus what it gave back.
fn line_refunds(
    units: &[repo::LineUnits],
    lines: &BTreeMap<String, (usize, i32)>,
) -> Result<Vec<(Uuid, i32, i64)>, OrderError> {
    let mut refund_lines = Vec::new();
    let mut errors = Vec::new();
    for (sku, (i, q)) in lines {
        let of_sku: Vec<&repo::LineUnits> = units.iter().filter(|l| &l.sku == sku).collect();
        if of_sku.is_empty() {
            errors.push(FieldError::new(
                format!("lines[{i}].sku"),
                "not in this order",
            ));
            continue;
        }
        let rooms: Vec<(Uuid, i32)> = of_sku
            .iter()
            .map(|l| (l.id, l.quantity - l.refunded_units))
            .collect();
        let Some(taken) = spread(&rooms, *q) else {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                format!(
                    "at most {} units of {sku} can still be refunded",
                    rooms.iter().map(|r| r.1.max(0)).sum::<i32>()
                ),
            ));
            continue;
        };
        for (line_id, q) in taken {
            let Some(l) = of_sku.iter().find(|l| l.id == line_id) else {
                continue;
            };
            let amount = (line_share(l.line_total_minor, l.quantity, l.refunded_units + q)
                - l.refunded_line_minor)
                .max(0);
            refund_lines.push((line_id, q, amount));
        }
    }
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    Ok(refund_lines)
}

/// Requests a refund of order `number` (paid, partly or wholly shipped, or refunded): lines,
/// shipping and/or a free amount, at most what the order captured minus earlier refunds that
/// did not fail (409 `refund-exceeds-captured`). The same `idempotency_key` with the same
/// request gives back the first refund (`replayed`); with another request, 422.
pub async fn request(
    db: &Db,
    scope: &TenantScope,
    number: i32,
    idempotency_key: &str,
    input: &RefundInput,
) -> Result<Requested, OrderError> {
    let (lines, reason) = parse(idempotency_key, input)?;
    let hash = request_hash(number, &lines, input, reason.as_deref());
    let tenant = scope.tenant_id();
    db.tenant_tx_retry(scope, || {
        async |tx| {
            // Serialises retries of one key until the first commits (as checkout does).
            let stmt = tx
                .prepare_cached("select pg_advisory_xact_lock(hashtextextended($1, 7244))")
                .await
                .map_err(DbError::from)?;
            tx.execute(&stmt, &[&idempotency_key])
                .await
                .map_err(DbError::from)?;
            if let Some((id, _, stored)) = repo::refund_by_key(tx, tenant, idempotency_key).await? {
                if stored.as_deref() != Some(hash.as_slice()) {
                    return Err(OrderError::IdempotencyMismatch);
                }
                return Ok(Requested {
                    refund: load(tx, tenant, id).await?,
                    replayed: true,
                });
            }
            let order = orders_repo::lock_order(tx, None, Some(number))
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            if !(order.status.is_paid() || order.status == OrderStatus::Refunded) {
                return Err(OrderError::Conflict(format!(
                    "a {} order cannot be refunded (only paid, shipped or refunded ones; \
                     cancelling a paid order refunds it)",
                    order.status
                )));
            }
            if let Some(return_id) = input.return_id
                && repo::returns(tx, tenant, Some(return_id), Some(order.id))
                    .await?
                    .is_empty()
            {
                return Err(OrderError::Invalid(vec![FieldError::new(
                    "return_id",
                    "not a return of this order",
                )]));
            }
            let units = repo::line_units(tx, tenant, order.id).await?;
            let refund_lines = line_refunds(&units, &lines)?;
            let (taken, shipping_taken) = repo::refund_totals(tx, tenant, order.id).await?;
            let shipping_minor = if input.shipping {
                let shipping_total =
                    order.total_minor - units.iter().map(|l| l.line_total_minor).sum::<i64>();
                let left = shipping_total - shipping_taken;
                if left <= 0 {
                    return Err(OrderError::Conflict(
                        "the order's shipping was refunded already (or it had none)".into(),
                    ));
                }
                left
            } else {
                0
            };
            let new = repo::NewRefund {
                order_id: order.id,
                currency: &order.currency,
                lines_minor: refund_lines.iter().map(|l| l.2).sum(),
                shipping_minor,
                free_minor: input.amount_minor.unwrap_or(0),
                reason: reason.as_deref(),
                return_id: input.return_id,
                idempotency_key: Some(idempotency_key),
                request_hash: Some(&hash),
                lines: refund_lines,
            };
            let amount = new.amount_minor();
            if amount <= 0 {
                return Err(OrderError::Invalid(vec![FieldError::new(
                    "lines",
                    "these lines are worth nothing to refund",
                )]));
            }
            let refundable = order.total_minor - taken;
            if amount > refundable {
                return Err(OrderError::RefundExceedsCaptured(format!(
                    "a refund of {amount} exceeds what order {number} can still refund: \
                     {refundable} (captured {} minus {taken} in earlier refunds)",
                    order.total_minor
                )));
            }
            let id = repo::insert_refund(tx, tenant, &new).await?;
            announce(tx, tenant, id, &order, "refund.request").await?;
            Ok(Requested {
                refund: load(tx, tenant, id).await?,
                replayed: false,
            })
        }
    })
    .await
}

/// Audits a new refund and writes its `refund.requested` event: what the payment provider
/// integration (a webhook subscribed to it) acts on. No personal data: ids and money.
async fn announce(
    tx: &Tx<'_>,
    tenant: Uuid,
    id: Uuid,
    order: &orders_repo::LockedOrder,
    action: &str,
) -> Result<(), OrderError> {
    let r = load(tx, tenant, id).await?;
    audit::record(
        tx,
        action,
        &id.to_string(),
        serde_json::json!({"order": order.number, "amount_minor": r.amount_minor}),
    )
    .await?;
    events::record(
        tx,
        EventType::RefundRequested,
        &id.to_string(),
        serde_json::json!({
            "refund_id": id,
            "order_id": order.id,
            "number": order.number,
            "amount_minor": r.amount_minor,
            "currency": r.currency,
            "lines_minor": r.lines_minor,
            "shipping_minor": r.shipping_minor,
            "free_minor": r.free_minor,
        }),
        None,
    )
    .await?;
    Ok(())
}

/// Cancels a paid order that has not shipped, in the caller's transaction (the order row is
/// locked): its sales are reversed (`restock`, units back on the shelves they were sold from)
/// and what it captured and was not refunded yet is requested back. Returns the refund's id
/// (`None` when everything was already refunded or is being refunded).
pub async fn cancel_paid(
    tx: &Tx<'_>,
    tenant: Uuid,
    order: &orders_repo::LockedOrder,
) -> Result<Option<Uuid>, OrderError> {
    let holds = orders_repo::order_holds(tx, order.id).await?;
    if holds.iter().any(|h| h.shipped_quantity > 0) {
        return Err(OrderError::Conflict(
            "units of this order have left the warehouse: request a return instead".into(),
        ));
    }
    let variants: Vec<Uuid> = holds.iter().map(|h| h.variant_id).collect();
    engine::lock_rows(tx, &variants).await?;
    let sold = repo::restock_holds(tx, tenant, order.id).await?;
    let deltas: Vec<engine::Delta> = sold
        .iter()
        .map(|&(hold, variant, zone, quantity)| engine::Delta {
            variant_id: variant,
            zone_id: zone,
            kind: MovementKind::Restock,
            on_hand: quantity,
            reserved: 0,
            reason: Some(format!("order {} cancelled after payment", order.number)),
            order_id: Some(order.id),
            hold_id: Some(hold),
        })
        .collect();
    engine::apply(tx, &deltas).await?;

    let units = repo::line_units(tx, tenant, order.id).await?;
    let (taken, shipping_taken) = repo::refund_totals(tx, tenant, order.id).await?;
    let target = order.total_minor - taken;
    if target <= 0 {
        return Ok(None);
    }
    let lines: Vec<(Uuid, i32, i64)> = units
        .iter()
        .filter(|l| l.quantity > l.refunded_units)
        .map(|l| {
            (
                l.id,
                l.quantity - l.refunded_units,
                (l.line_total_minor - l.refunded_line_minor).max(0),
            )
        })
        .collect();
    let lines_minor: i64 = lines.iter().map(|l| l.2).sum();
    let shipping_minor = (order.total_minor
        - units.iter().map(|l| l.line_total_minor).sum::<i64>()
        - shipping_taken)
        .max(0);
    // Earlier free amounts may already cover part of the lines: then the whole rest is one
    // free amount, never more than the target.
    let (lines, lines_minor, shipping_minor) = if lines_minor + shipping_minor <= target {
        (lines, lines_minor, shipping_minor)
    } else {
        (Vec::new(), 0, 0)
    };
    let new = repo::NewRefund {
        order_id: order.id,
        currency: &order.currency,
        lines_minor,
        shipping_minor,
        free_minor: target - lines_minor - shipping_minor,
        reason: Some("order cancelled after payment"),
        return_id: None,
        idempotency_key: None,
        request_hash: None,
        lines,
    };
    let id = repo::insert_refund(tx, tenant, &new).await?;
    announce(tx, tenant, id, order, "refund.request").await?;
    Ok(Some(id))
}

/// What the provider's callback says of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// `refunded`: the money went back.
    Refunded,
    /// `refund_failed`: it did not.
    Failed,
}

impl Settlement {
    /// The callback's `status`, if it is about a refund.
    pub fn from_status(status: &str) -> Option<Self> {
        match status {
            "refunded" => Some(Settlement::Refunded),
            "refund_failed" => Some(Settlement::Failed),
            _ => None,
        }
    }
}

/// The provider's refund event, from a body whose signature was checked.
pub struct RefundEvent<'a> {
    pub event_id: &'a str,
    pub order_id: Uuid,
    pub refund_id: Uuid,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub settlement: Settlement,
}

/// Settles a refund from the provider's callback, exactly once: the event id is recorded with
/// the effect (a repeated event is `duplicate`), the order row is locked first (concurrent
/// deliveries queue), and a refund already settled by another event changes nothing
/// (`already_settled`). An amount or currency other than the refund's: 409, nothing recorded.
/// Returns the outcome (`refunded`, `refund_failed`, `already_settled`, `duplicate`) and the
/// order.
pub async fn settle(
    db: &Db,
    scope: &TenantScope,
    event: &RefundEvent<'_>,
) -> Result<(&'static str, Order), OrderError> {
    let tenant = scope.tenant_id();
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let duplicate = async |tx: &Tx<'_>, order_id| {
                let order = load_order(tx, Some(order_id), None, false)
                    .await?
                    .ok_or(OrderError::NotFound("no such order"))?;
                Ok::<_, OrderError>(("duplicate", order))
            };
            if let Some((order_id, _)) = orders_repo::payment_event(tx, event.event_id).await? {
                return duplicate(tx, order_id).await;
            }
            let order = orders_repo::lock_order(tx, Some(event.order_id), None)
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            // Again under the lock: a concurrent delivery may have committed meanwhile.
            if orders_repo::payment_event(tx, event.event_id)
                .await?
                .is_some()
            {
                return duplicate(tx, order.id).await;
            }
            let refund = repo::lock_refund(tx, tenant, event.refund_id)
                .await?
                .filter(|r| r.order_id == order.id)
                .ok_or(OrderError::NotFound("no such refund for this order"))?;
            if refund.amount_minor != event.amount_minor || refund.currency != event.currency {
                return Err(OrderError::Conflict(format!(
                    "the refund is {} {}, the callback says {} {}",
                    refund.amount_minor, refund.currency, event.amount_minor, event.currency
                )));
            }
            let outcome = if refund.status != RefundStatus::Requested {
                "already_settled"
            } else {
                let (status, event_type) = match event.settlement {
                    Settlement::Refunded => (RefundStatus::Refunded, EventType::RefundRefunded),
                    Settlement::Failed => (RefundStatus::Failed, EventType::RefundFailed),
                };
                repo::settle_refund(tx, tenant, refund.id, status, event.event_id).await?;
                let (order_status, refunded_minor) = if status == RefundStatus::Refunded {
                    // The invoice's correction, numbered in this transaction.
                    crate::invoices::credit_notes::issue(tx, scope, order.id, refund.id).await?;
                    repo::add_refunded(tx, tenant, order.id, refund.amount_minor).await?
                } else {
                    (order.status, 0)
                };
                events::record(
                    tx,
                    event_type,
                    &refund.id.to_string(),
                    serde_json::json!({
                        "refund_id": refund.id,
                        "order_id": order.id,
                        "number": order.number,
                        "amount_minor": refund.amount_minor,
                        "currency": refund.currency,
                        "order_status": order_status,
                        "order_refunded_minor": refunded_minor,
                    }),
                    None,
                )
                .await
                .map_err(OrderError::from)?;
                match status {
                    RefundStatus::Refunded => "refunded",
                    _ => "refund_failed",
                }
            };
            orders_repo::insert_payment_event(tx, event.event_id, order.id, outcome).await?;
            let view = load_order(tx, Some(order.id), None, true)
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            Ok((outcome, view))
        }
    })
    .await
}

/// Builds refund views from rows.
async fn views(
    tx: &Tx<'_>,
    tenant: Uuid,
    rows: Vec<repo::RefundRow>,
) -> Result<Vec<Refund>, DbError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let lines = repo::refund_lines(tx, tenant, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Refund {
            lines: lines
                .iter()
                .filter(|l| l.0 == r.id)
                .map(|l| RefundLine {
                    sku: l.1.clone(),
                    quantity: l.2,
                    amount_minor: l.3,
                })
                .collect(),
            id: r.id,
            order: r.order_number,
            status: r.status,
            amount_minor: r.amount_minor,
            currency: r.currency,
            lines_minor: r.lines_minor,
            shipping_minor: r.shipping_minor,
            free_minor: r.free_minor,
            reason: r.reason.into(),
            return_id: r.return_id.into(),
            created_by: r.created_by.into(),
            created_at: r.created_at,
            settled_at: r.settled_at.into(),
        })
        .collect())
}

async fn load(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<Refund, OrderError> {
    let rows = repo::refunds(tx, tenant, Some(id), None).await?;
    views(tx, tenant, rows)
        .await?
        .pop()
        .ok_or(OrderError::NotFound("no such refund"))
}

/// The refunds of order `number` with the money figures they add up to.
pub async fn for_order(
    db: &Db,
    scope: &TenantScope,
    number: i32,
) -> Result<OrderRefunds, OrderError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        let order = orders_repo::order_view(tx, None, Some(number))
            .await?
            .ok_or(OrderError::NotFound("no such order"))?;
        let rows = repo::refunds(tx, tenant, None, Some(order.id)).await?;
        let refunds = views(tx, tenant, rows).await?;
        let captured = if order.paid_at.is_some() {
            order.total_minor
        } else {
            0
        };
        let pending: i64 = refunds
            .iter()
            .filter(|r| r.status == RefundStatus::Requested)
            .map(|r| r.amount_minor)
            .sum();
        Ok(OrderRefunds {
            captured_minor: captured,
            refunded_minor: order.refunded_minor,
            pending_minor: pending,
            refundable_minor: (captured - order.refunded_minor - pending).max(0),
            refunds,
        })
    })
    .await
}

/// One refund of the brand (404 for another brand's).
pub async fn get(db: &Db, scope: &TenantScope, id: Uuid) -> Result<Refund, OrderError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| load(tx, tenant, id).await)
        .await
}
