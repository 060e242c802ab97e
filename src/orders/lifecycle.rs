//! After checkout: expiry (a job), cancellation and shipping. Each locks the order row first,
//! then its stock rows, like every other order transaction.

use uuid::Uuid;

use super::{Order, OrderError, load_order, repo};
use crate::{
    audit,
    db::{Db, Tx},
    inventory::engine,
    jobs::JobError,
    scope::TenantScope,
};

/// Ends the order's still-active holds with `kind` (`expire`, `cancel`, `release`) and
/// returns their units to the shelf's available count. Also ends expired holds of any order
/// on the same rows (the engine's rule).
pub(crate) async fn end_active_holds(
    tx: &Tx<'_>,
    order_id: Uuid,
    kind: &'static str,
    hold_status: &str,
) -> Result<(), OrderError> {
    let holds = repo::order_holds(tx, order_id).await?;
    let variants: Vec<Uuid> = holds.iter().map(|h| h.variant_id).collect();
    if variants.is_empty() {
        return Ok(());
    }
    let mut rows = engine::lock_rows(tx, &variants).await?;
    let mut deltas = engine::release_expired(tx, &variants, &mut rows).await?;
    // Holds of this order that release_expired did not just end.
    let ended: Vec<Uuid> = deltas.iter().filter_map(|d| d.hold_id).collect();
    let active: Vec<&repo::OrderHold> = holds
        .iter()
        .filter(|h| h.status == "active" && !ended.contains(&h.id))
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
            if order.status != "pending_payment" {
                return Ok(());
            }
            if !order.holds_expired {
                return Err(OrderError::Conflict(
                    "the holds have not expired yet".into(),
                ));
            }
            end_active_holds(tx, order.id, "expire", "expired").await?;
            repo::set_order_status(tx, order.id, "expired", None).await?;
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

/// Cancels an unpaid order (pending, expired, or in payment conflict) and releases its holds.
/// A paid or shipped order cannot be cancelled here (409).
pub async fn cancel(db: &Db, scope: &TenantScope, number: i32) -> Result<Order, OrderError> {
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let order = repo::lock_order(tx, None, Some(number))
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            match order.status.as_str() {
                "pending_payment" | "expired" | "payment_conflict" => {}
                other => {
                    return Err(OrderError::Conflict(format!(
                        "a {other} order cannot be cancelled"
                    )));
                }
            }
            end_active_holds(tx, order.id, "cancel", "released").await?;
            repo::set_order_status(tx, order.id, "cancelled", None).await?;
            audit::record(
                tx,
                "order.cancel",
                &number.to_string(),
                serde_json::json!({"from": order.status}),
            )
            .await?;
            load_order(tx, Some(order.id), None, true)
                .await?
                .ok_or(OrderError::NotFound("no such order"))
        }
    })
    .await
}

/// Marks a paid order shipped.
pub async fn ship(db: &Db, scope: &TenantScope, number: i32) -> Result<Order, OrderError> {
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let order = repo::lock_order(tx, None, Some(number))
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            if order.status != "paid" {
                return Err(OrderError::Conflict(format!(
                    "a {} order cannot be shipped",
                    order.status
                )));
            }
            repo::set_order_status(tx, order.id, "shipped", None).await?;
            audit::record(tx, "order.ship", &number.to_string(), serde_json::json!({})).await?;
            load_order(tx, Some(order.id), None, true)
                .await?
                .ok_or(OrderError::NotFound("no such order"))
        }
    })
    .await
}
