//! Payment confirmation, exactly once however often it arrives.
//!
//! A provider event is recorded with its id in the same transaction as its effect, so a retried
//! callback finds it and changes nothing. The order row is locked first, so concurrent
//! deliveries queue. Confirmation turns the order's holds into a permanent decrement
//! (`on_hand -= q`, `reserved -= q`, a `sale` ledger row per hold). If the holds expired first,
//! the units are taken again if stock allows, otherwise the order becomes `payment_conflict`
//! for a human: never an oversell. The order's promotion uses follow its units: consumed with
//! the sale, taken again with re-taken units (none left: `payment_conflict`). A confirmed
//! payment issues the order's invoice (the brand's next gapless number) in the same
//! transaction.

use uuid::Uuid;

use super::{
    Order, OrderError,
    lifecycle::end_active_holds,
    load_order, record_event, repo,
    status::{HoldStatus, OrderStatus},
};
use crate::{
    audit,
    db::{Db, Tx},
    events::EventType,
    inventory::{engine, movement::MovementKind},
    invoices,
    notify::{self, NotificationEvent},
    promotions::service as promotions,
    scope::TenantScope,
};

/// Who says the order is paid.
pub enum PaymentSource<'a> {
    /// The payment provider's signed callback.
    Provider {
        event_id: &'a str,
        amount_minor: i64,
        currency: &'a str,
    },
    /// A brand manager or the owner, by hand.
    Staff,
}

/// What a confirmation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The holds became a sale.
    Confirmed,
    /// The holds had expired; the units were taken again.
    Rereserved,
    /// Already paid (or partly or wholly shipped): nothing changed.
    AlreadyPaid,
    /// This provider event was processed before: nothing changed.
    Duplicate,
    /// The order needs a human; nothing was sold.
    Conflict(String),
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Confirmed => "confirmed",
            Outcome::Rereserved => "rereserved",
            Outcome::AlreadyPaid => "already_paid",
            Outcome::Duplicate => "duplicate",
            Outcome::Conflict(_) => "payment_conflict",
        }
    }
}

/// Which order.
pub enum OrderRef {
    Id(Uuid),
    Number(i32),
}

async fn mark_conflict(tx: &Tx<'_>, order_id: Uuid, reason: &str) -> Result<Outcome, OrderError> {
    end_active_holds(tx, order_id, MovementKind::Release, HoldStatus::Released).await?;
    repo::set_order_status(tx, order_id, OrderStatus::PaymentConflict, Some(reason)).await?;
    Ok(Outcome::Conflict(reason.to_owned()))
}

/// Turns an unpaid order into a sale: its holds if they still stand, else fresh units.
async fn settle(tx: &Tx<'_>, order: &repo::LockedOrder) -> Result<Outcome, OrderError> {
    let lines = repo::order_lines(tx, order.id).await?;
    let holds = repo::order_holds(tx, order.id).await?;
    let variants: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect();
    let mut rows = engine::lock_rows(tx, &variants).await?;
    if order.status == OrderStatus::PendingPayment && !order.holds_expired {
        return confirm_holds(tx, order.id, &holds).await;
    }
    // The holds ran out: end whatever is left of them, then try to take the units again.
    let deltas = end_leftover_holds(tx, order.id, &holds, &variants, &mut rows).await?;
    retake(tx, order, &lines, rows, deltas).await
}

/// The holds still stand: each becomes a sale.
async fn confirm_holds(
    tx: &Tx<'_>,
    order_id: Uuid,
    holds: &[repo::OrderHold],
) -> Result<Outcome, OrderError> {
    let active: Vec<&repo::OrderHold> = holds
        .iter()
        .filter(|h| h.status == HoldStatus::Active)
        .collect();
    let deltas: Vec<engine::Delta> = active
        .iter()
        .map(|h| engine::Delta {
            variant_id: h.variant_id,
            zone_id: h.zone_id,
            kind: MovementKind::Sale,
            on_hand: -h.quantity,
            reserved: -h.quantity,
            reason: None,
            order_id: Some(order_id),
            hold_id: Some(h.id),
        })
        .collect();
    repo::end_holds(
        tx,
        &active.iter().map(|h| h.id).collect::<Vec<_>>(),
        HoldStatus::Confirmed,
    )
    .await?;
    engine::apply(tx, &deltas).await?;
    promotions::consume_uses(tx, order_id).await?;
    repo::set_order_status(tx, order_id, OrderStatus::Paid, None).await?;
    Ok(Outcome::Confirmed)
}

/// Releases every expired hold on the order's rows and expires the order's holds that are
/// still marked active; returns the ledger deltas (not yet applied).
async fn end_leftover_holds(
    tx: &Tx<'_>,
    order_id: Uuid,
    holds: &[repo::OrderHold],
    variants: &[Uuid],
    rows: &mut [engine::LockedRow],
) -> Result<Vec<engine::Delta>, OrderError> {
    let mut deltas = engine::release_expired(tx, variants, rows).await?;
    let ended: Vec<Uuid> = deltas.iter().filter_map(|d| d.hold_id).collect();
    let leftover: Vec<&repo::OrderHold> = holds
        .iter()
        .filter(|h| h.status == HoldStatus::Active && !ended.contains(&h.id))
        .collect();
    for h in &leftover {
        if let Some(row) = rows
            .iter_mut()
            .find(|r| r.variant_id == h.variant_id && r.zone_id == h.zone_id)
        {
            row.reserved -= h.quantity;
        }
        deltas.push(engine::Delta {
            variant_id: h.variant_id,
            zone_id: h.zone_id,
            kind: MovementKind::Release,
            on_hand: 0,
            reserved: -h.quantity,
            reason: Some("holds expired before payment".into()),
            order_id: Some(order_id),
            hold_id: Some(h.id),
        });
    }
    repo::end_holds(
        tx,
        &leftover.iter().map(|h| h.id).collect::<Vec<_>>(),
        HoldStatus::Expired,
    )
    .await?;
    Ok(deltas)
}

/// Takes the order's units again after its holds ran out: a sale when the stock is there, a
/// payment conflict when it is gone.
async fn retake(
    tx: &Tx<'_>,
    order: &repo::LockedOrder,
    lines: &[repo::LineRow],
    mut rows: Vec<engine::LockedRow>,
    mut deltas: Vec<engine::Delta>,
) -> Result<Outcome, OrderError> {
    let demands: Vec<engine::Demand> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| engine::Demand {
            line: i,
            variant_id: l.variant_id,
            quantity: l.quantity,
        })
        .collect();
    let Ok(allocations) = engine::allocate(&demands, &mut rows, order.preferred_zone_id) else {
        engine::apply(tx, &deltas).await?;
        promotions::release_uses(tx, order.id).await?;
        let reason = "paid after the holds expired, and the stock is gone";
        repo::set_order_status(tx, order.id, OrderStatus::PaymentConflict, Some(reason)).await?;
        return Ok(Outcome::Conflict(reason.to_owned()));
    };
    // The promotions' uses come back with the units, or the order waits for a human.
    if let Err(reason) = promotions::retake_uses(tx, order.id).await? {
        engine::apply(tx, &deltas).await?;
        repo::set_order_status(tx, order.id, OrderStatus::PaymentConflict, Some(&reason)).await?;
        return Ok(Outcome::Conflict(reason));
    }
    let new_holds: Vec<repo::NewHold> = allocations
        .iter()
        .map(|a| repo::NewHold {
            line_id: lines[a.line].id,
            variant_id: a.variant_id,
            zone_id: a.zone_id,
            quantity: a.quantity,
        })
        .collect();
    let taken = repo::insert_holds(
        tx,
        order.id,
        &new_holds,
        HoldStatus::Confirmed,
        order.holds_expire_at,
    )
    .await?;
    deltas.extend(taken.iter().map(|h| engine::Delta {
        variant_id: h.variant_id,
        zone_id: h.zone_id,
        kind: MovementKind::Sale,
        on_hand: -h.quantity,
        reserved: 0,
        reason: Some("paid after the holds expired; stock taken again".into()),
        order_id: Some(order.id),
        hold_id: Some(h.id),
    }));
    engine::apply(tx, &deltas).await?;
    repo::set_order_status(tx, order.id, OrderStatus::Paid, None).await?;
    Ok(Outcome::Rereserved)
}

/// Confirms payment of an order. Idempotent: repeating a provider event, or confirming a paid
/// order, changes nothing.
pub async fn confirm(
    db: &Db,
    scope: &TenantScope,
    order_ref: OrderRef,
    source: PaymentSource<'_>,
) -> Result<(Outcome, Order), OrderError> {
    let (id, number) = match order_ref {
        OrderRef::Id(id) => (Some(id), None),
        OrderRef::Number(n) => (None, Some(n)),
    };
    db.tenant_tx_retry(scope, || {
        async |tx| {
            if let PaymentSource::Provider { event_id, .. } = &source
                && let Some((order_id, _)) = repo::payment_event(tx, event_id).await?
            {
                let order = load_order(tx, Some(order_id), None, false)
                    .await?
                    .ok_or(OrderError::NotFound("no such order"))?;
                return Ok((Outcome::Duplicate, order));
            }
            let order = repo::lock_order(tx, id, number)
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            // A second check under the order lock: a concurrent delivery of the same event may
            // have committed while this one waited for the lock.
            if let PaymentSource::Provider { event_id, .. } = &source
                && repo::payment_event(tx, event_id).await?.is_some()
            {
                let order = load_order(tx, Some(order.id), None, false)
                    .await?
                    .ok_or(OrderError::NotFound("no such order"))?;
                return Ok((Outcome::Duplicate, order));
            }
            let outcome = match order.status {
                status if status.is_paid() || status == OrderStatus::Refunded => {
                    Outcome::AlreadyPaid
                }
                OrderStatus::PaymentConflict => {
                    Outcome::Conflict("already waiting for a human".into())
                }
                OrderStatus::Cancelled => {
                    mark_conflict(tx, order.id, "paid after the order was cancelled").await?
                }
                _ => match &source {
                    PaymentSource::Provider {
                        amount_minor,
                        currency,
                        ..
                    } if *amount_minor != order.total_minor || *currency != order.currency => {
                        mark_conflict(tx, order.id, "the amount paid differs from the order total")
                            .await?
                    }
                    _ => settle(tx, &order).await?,
                },
            };
            match &source {
                PaymentSource::Provider { event_id, .. } => {
                    repo::insert_payment_event(tx, event_id, order.id, outcome.as_str()).await?;
                }
                PaymentSource::Staff => {
                    audit::record(
                        tx,
                        "order.mark_paid",
                        &order.number.to_string(),
                        serde_json::json!({"outcome": outcome.as_str()}),
                    )
                    .await?;
                }
            }
            match &outcome {
                Outcome::Confirmed | Outcome::Rereserved => {
                    // The invoice (the brand's next number, locked to COMMIT) and the customer's
                    // notification are made with the payment (and rolled back with it), before
                    // the event, which holds the brand's event counter to COMMIT.
                    invoices::issue(tx, scope, order.id).await?;
                    notify::queue(tx, order.id, NotificationEvent::Paid).await?;
                    record_event(tx, EventType::OrderPaid, &order, OrderStatus::Paid, None).await?;
                }
                // A conflict found now (not one already waiting for a human).
                Outcome::Conflict(reason) if order.status != OrderStatus::PaymentConflict => {
                    record_event(
                        tx,
                        EventType::OrderPaymentConflict,
                        &order,
                        OrderStatus::PaymentConflict,
                        Some(("reason", reason.as_str())),
                    )
                    .await?;
                }
                _ => {}
            }
            let view = load_order(tx, Some(order.id), None, true)
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            Ok((outcome, view))
        }
    })
    .await
}
