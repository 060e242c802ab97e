//! After checkout: expiry (a job) and cancellation. Each locks the order row first, then its
//! stock rows, like every other order transaction. Shipping is in [`super::shipment`].

use uuid::Uuid;

use super::{
    Order, OrderError, load_order, record_event, repo, returns,
    status::{HoldStatus, OrderStatus},
};
use crate::{
    audit,
    db::{Db, Tx},
    events::EventType,
    inventory::{engine, movement::MovementKind},
    jobs::JobError,
    promotions::service as promotions,
    scope::TenantScope,
};

/// Ends the order's still-active holds with `kind` (`expire`, `cancel`, `release`) and
/// returns their units to the shelf's available count. Also ends expired holds of any order
/// on the same rows (the engine's rule). The order's held promotion uses go with its holds
/// (released, after the stock rows: the lock order).
pub(crate) async fn end_active_holds(
    tx: &Tx<'_>,
    order_id: Uuid,
    kind: MovementKind,
    hold_status: HoldStatus,
) -> Result<(), OrderError> {
    let holds = repo::order_holds(tx, order_id).await?;
    let variants: Vec<Uuid> = holds.iter().map(|h| h.variant_id).collect();
    if variants.is_empty() {
        promotions::release_uses(tx, order_id).await?;
        return Ok(());
    }
    let mut rows = engine::lock_rows(tx, &variants).await?;
    let mut deltas = engine::release_expired(tx, &variants, &mut rows).await?;
    // Holds of this order that release_expired did not just end.
    let ended: Vec<Uuid> = deltas.iter().filter_map(|d| d.hold_id).collect();
    let active: Vec<&repo::OrderHold> = holds
        .iter()
        .filter(|h| h.status == HoldStatus::Active && !ended.contains(&h.id))
        .collect();
    deltas.extend(active.iter().map(|h| engine::Delta {
        variant_id: h.variant_id,
        zone_id: h.zone_id,
        kind,
        on_hand: 0,
        reserved: -h.quantity,
        reason: None,
        order_id: Some(order_id),
        hold_id: Some(h.id),
    }));
    repo::end_holds(
        tx,
        &active.iter().map(|h| h.id).collect::<Vec<_>>(),
        hold_status,
    )
    .await?;
    engine::apply(tx, &deltas).await?;
    promotions::release_uses(tx, order_id).await?;
    Ok(())
}

/// The expiry job: an unpaid order whose holds ran out becomes `expired` and its units return.
/// Runs once per hold however many workers race for it (the job claim and the order lock).
pub async fn expire_order(db: &Db, scope: &TenantScope, order_id: Uuid) -> Result<(), JobError> {
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let Some(order) = repo::lock_order(tx, Some(order_id), None).await? else {
                return Ok(());
            };
            if order.status != OrderStatus::PendingPayment {
                return Ok(());
            }
            if !order.holds_expired {
                return Err(OrderError::Conflict(
                    "the holds have not expired yet".into(),
                ));
            }
            end_active_holds(tx, order.id, MovementKind::Expire, HoldStatus::Expired).await?;
            repo::set_order_status(tx, order.id, OrderStatus::Expired, None).await?;
            record_event(
                tx,
                EventType::OrderExpired,
                &order,
                OrderStatus::Expired,
                None,
            )
            .await?;
            Ok(())
        }
    })
    .await
    .map_err(|e| match e {
        OrderError::Conflict(msg) => JobError::Retry(msg),
        OrderError::Db(db) => db.into(),
        other => JobError::Permanent(other.to_string()),
    })
}

/// Cancels an unpaid order (pending, expired, or in payment conflict) and releases its holds;
/// a paid order that has not shipped is cancelled too, its sales reversed (`restock`) and its
/// captured amount requested back as a refund. A partially shipped or shipped order: 409
/// (returns are the way).
pub async fn cancel(db: &Db, scope: &TenantScope, number: i32) -> Result<Order, OrderError> {
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let order = repo::lock_order(tx, None, Some(number))
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            // A paid order that has not shipped: its sale is reversed and its money requested
            // back (returns::refunds::cancel_paid). Shipped units come back through returns.
            let refund = if order.status == OrderStatus::Paid {
                returns::refunds::cancel_paid(tx, scope.tenant_id(), &order).await?
            } else if order.status.is_cancellable() {
                end_active_holds(tx, order.id, MovementKind::Cancel, HoldStatus::Released).await?;
                None
            } else if matches!(
                order.status,
                OrderStatus::PartiallyShipped | OrderStatus::Shipped
            ) {
                return Err(OrderError::Conflict(format!(
                    "a {} order cannot be cancelled: units have left the warehouse; request a \
                     return (POST /v1/admin/orders/{number}/returns) and refund it",
                    order.status
                )));
            } else {
                return Err(OrderError::Conflict(format!(
                    "a {} order cannot be cancelled",
                    order.status
                )));
            };
            repo::set_order_status(tx, order.id, OrderStatus::Cancelled, None).await?;
            audit::record(
                tx,
                "order.cancel",
                &number.to_string(),
                serde_json::json!({"from": order.status, "refund_id": refund}),
            )
            .await?;
            record_event(
                tx,
                EventType::OrderCancelled,
                &order,
                OrderStatus::Cancelled,
                None,
            )
            .await?;
            load_order(tx, Some(order.id), None, true)
                .await?
                .ok_or(OrderError::NotFound("no such order"))
        }
    })
    .await
}
