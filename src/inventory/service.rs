//! Warehouse operations: receive, adjust, transfer; zones.

use uuid::Uuid;

pub use super::repo::{LowStockRow, MovementRow, NewZone, StockRowView, ZoneRow, ZoneUpdate};
use super::{
    engine::{self, Delta},
    movement::MovementKind,
    repo,
};
use crate::{
    audit, catalog,
    db::{Db, DbError, Tx},
    error::{ConstraintTable, DomainError, FieldError, FieldErrors, Violation},
    scope::{Actor, TenantScope},
    types::{DisplayName, Quantity, Sku, Text, ZoneCode},
};

/// Warehouse errors are the shared ones.
pub type StockError = DomainError;

/// Inventory constraints whose violation is the client's doing.
const CONSTRAINTS: &ConstraintTable = &[(
    "zones_code_key",
    Violation::Conflict("a zone with this code exists"),
)];

const MAX_QUANTITY: i32 = 1_000_000;

/// The variant and zone a warehouse request names; another brand's SKU is simply unknown.
/// A malformed SKU or zone code names nothing, like an unknown one.
async fn variant_and_zone(tx: &Tx<'_>, sku: &str, zone: &str) -> Result<(Uuid, Uuid), StockError> {
    let sku = Sku::parse(sku).map_err(|_| StockError::NotFound("no such SKU in this brand"))?;
    let variant = catalog::repo::variant_by_sku(tx, sku.as_str())
        .await?
        .ok_or(StockError::NotFound("no such SKU in this brand"))?;
    let zone = zone_by_code(tx, zone).await?;
    Ok((variant.variant.id, zone.id))
}

/// A zone by code; a malformed code names no zone.
async fn zone_by_code(tx: &Tx<'_>, code: &str) -> Result<repo::ZoneRow, StockError> {
    let code = ZoneCode::parse(code).map_err(|_| StockError::NotFound("no such zone"))?;
    repo::zone_by_code(tx, code.as_str())
        .await?
        .ok_or(StockError::NotFound("no such zone"))
}

fn check_quantity(field: &str, q: i32, errors: &mut Vec<FieldError>) {
    errors.check(field, Quantity::<MAX_QUANTITY>::try_from(q));
}

/// Why stock changed, in the ledger: 1 to 500 characters.
type Reason = Text<1, 500>;

fn check_reason(reason: &Option<String>, required: bool, errors: &mut Vec<FieldError>) {
    match reason {
        None if required => errors.push(FieldError::new("reason", "required")),
        Some(r) => {
            errors.check("reason", Reason::parse(r));
        }
        None => {}
    }
}

/// Units on the shelf of one row after a change, for the response.
pub struct RowAfter {
    pub on_hand: i32,
    pub reserved: i32,
}

async fn row_after(tx: &Tx<'_>, variant: Uuid, zone: Uuid) -> Result<RowAfter, DbError> {
    let rows = engine::lock_rows(tx, &[variant]).await?;
    let row = rows
        .into_iter()
        .find(|r| r.zone_id == zone)
        .map(|r| RowAfter {
            on_hand: r.on_hand,
            reserved: r.reserved,
        })
        .unwrap_or(RowAfter {
            on_hand: 0,
            reserved: 0,
        });
    Ok(row)
}

/// Receives units into a zone.
pub async fn receive(
    db: &Db,
    scope: &TenantScope,
    sku: &str,
    zone: &str,
    quantity: i32,
    reason: Option<String>,
) -> Result<RowAfter, StockError> {
    let mut errors = Vec::new();
    check_quantity("quantity", quantity, &mut errors);
    check_reason(&reason, false, &mut errors);
    if !errors.is_empty() {
        return Err(StockError::Invalid(errors));
    }
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let (variant, zone_id) = variant_and_zone(tx, sku, zone).await?;
            repo::ensure_stock_row(tx, variant, zone_id).await?;
            engine::lock_rows(tx, &[variant]).await?;
            engine::apply(
                tx,
                &[Delta {
                    variant_id: variant,
                    zone_id,
                    kind: MovementKind::Receive,
                    on_hand: quantity,
                    reserved: 0,
                    reason: reason.clone(),
                    order_id: None,
                    hold_id: None,
                }],
            )
            .await?;
            audit::record(
                tx,
                "stock.receive",
                sku,
                serde_json::json!({"zone": zone, "quantity": quantity}),
            )
            .await?;
            Ok(row_after(tx, variant, zone_id).await?)
        }
    })
    .await
}

/// Corrects the units on the shelf by `delta` (a count, damage, a find), with a reason. Never
/// below the units held for orders.
pub async fn adjust(
    db: &Db,
    scope: &TenantScope,
    sku: &str,
    zone: &str,
    delta: i32,
    reason: Option<String>,
) -> Result<RowAfter, StockError> {
    let mut errors = Vec::new();
    // A range check, not `delta.abs()`: the smallest i32 has no absolute value (it would panic).
    if delta == 0 || !(-MAX_QUANTITY..=MAX_QUANTITY).contains(&delta) {
        errors.push(FieldError::new(
            "delta",
            format!("a non-zero change of at most {MAX_QUANTITY} units"),
        ));
    }
    check_reason(&reason, true, &mut errors);
    if !errors.is_empty() {
        return Err(StockError::Invalid(errors));
    }
    db.tenant_tx_retry(scope, || async |tx| {
        let (variant, zone_id) = variant_and_zone(tx, sku, zone).await?;
        repo::ensure_stock_row(tx, variant, zone_id).await?;
        let mut rows = engine::lock_rows(tx, &[variant]).await?;
        let mut deltas = engine::release_expired(tx, &[variant], &mut rows).await?;
        let row = rows
            .iter()
            .find(|r| r.zone_id == zone_id)
            .ok_or(StockError::NotFound("no such stock row"))?;
        if row.on_hand + delta < row.reserved {
            return Err(StockError::Conflict(format!(
                "{sku} in {zone}: {} on hand, {} held for orders; an adjustment of {delta} would leave fewer units than are held",
                row.on_hand, row.reserved
            )));
        }
        deltas.push(Delta {
            variant_id: variant,
            zone_id,
            kind: MovementKind::Adjust,
            on_hand: delta,
            reserved: 0,
            reason: reason.clone(),
            order_id: None,
            hold_id: None,
        });
        engine::apply(tx, &deltas).await?;
        audit::record(tx, "stock.adjust", sku, serde_json::json!({"zone": zone, "delta": delta})).await?;
        Ok(row_after(tx, variant, zone_id).await?)
    })
    .await
}

/// Moves units between zones, atomically: both rows change or neither.
pub async fn transfer(
    db: &Db,
    scope: &TenantScope,
    sku: &str,
    from: &str,
    to: &str,
    quantity: i32,
) -> Result<(RowAfter, RowAfter), StockError> {
    let mut errors = Vec::new();
    check_quantity("quantity", quantity, &mut errors);
    if from == to {
        errors.push(FieldError::new("to_zone", "must differ from from_zone"));
    }
    if !errors.is_empty() {
        return Err(StockError::Invalid(errors));
    }
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let (variant, from_id) = variant_and_zone(tx, sku, from).await?;
            let to_zone = zone_by_code(tx, to).await?;
            repo::ensure_stock_row(tx, variant, to_zone.id).await?;
            let mut rows = engine::lock_rows(tx, &[variant]).await?;
            let mut deltas = engine::release_expired(tx, &[variant], &mut rows).await?;
            let available = rows
                .iter()
                .find(|r| r.zone_id == from_id)
                .map_or(0, |r| r.available());
            if available < quantity {
                return Err(StockError::Conflict(format!(
                    "{sku} in {from}: {available} available (not held), {quantity} requested"
                )));
            }
            for (zone_id, kind, q) in [
                (from_id, MovementKind::TransferOut, -quantity),
                (to_zone.id, MovementKind::TransferIn, quantity),
            ] {
                deltas.push(Delta {
                    variant_id: variant,
                    zone_id,
                    kind,
                    on_hand: q,
                    reserved: 0,
                    reason: Some(format!("transfer {from} -> {to}")),
                    order_id: None,
                    hold_id: None,
                });
            }
            engine::apply(tx, &deltas).await?;
            audit::record(
                tx,
                "stock.transfer",
                sku,
                serde_json::json!({"from": from, "to": to, "quantity": quantity}),
            )
            .await?;
            Ok((
                row_after(tx, variant, from_id).await?,
                row_after(tx, variant, to_zone.id).await?,
            ))
        }
    })
    .await
}

/// Creates a shared warehouse zone (owner).
pub async fn create_zone(
    db: &Db,
    actor: &Actor,
    z: &repo::NewZone<'_>,
) -> Result<Uuid, StockError> {
    let mut errors = Vec::new();
    errors.check("code", ZoneCode::parse(z.code));
    errors.check("name", DisplayName::parse(z.name));
    if !errors.is_empty() {
        return Err(StockError::Invalid(errors));
    }
    db.global_tx(actor, async |tx| {
        repo::insert_zone(tx, z)
            .await
            .map_err(|e| DomainError::from_db(e, CONSTRAINTS))
    })
    .await
}

pub async fn update_zone(
    db: &Db,
    actor: &Actor,
    code: &str,
    u: &repo::ZoneUpdate,
) -> Result<(), StockError> {
    // The same rule as at creation (the table's check would refuse it later, as a 500).
    if let Some(name) = &u.name {
        let mut errors = Vec::new();
        errors.check("name", DisplayName::parse(name));
        if !errors.is_empty() {
            return Err(StockError::Invalid(errors));
        }
    }
    db.global_tx(actor, async |tx| {
        if repo::update_zone(tx, code, u).await? == 0 {
            return Err(StockError::NotFound("no such zone"));
        }
        Ok(())
    })
    .await
}

/// The id of the active zone with this code, if there is one (zones are shared by every brand;
/// the storefront and checkout name them by code). Runs in the caller's transaction.
pub async fn active_zone(tx: &Tx<'_>, code: &str) -> Result<Option<Uuid>, DbError> {
    Ok(repo::zone_by_code(tx, code)
        .await?
        .filter(|z| z.is_active)
        .map(|z| z.id))
}

/// The zone with this code, active or not (a parcel may still leave a zone that no longer takes
/// orders). Runs in the caller's transaction.
pub async fn find_zone(tx: &Tx<'_>, code: &str) -> Result<Option<ZoneRow>, DbError> {
    repo::zone_by_code(tx, code).await
}

/// The shared warehouse zones, as the brand's staff see them.
pub async fn list_zones(db: &Db, scope: &TenantScope) -> Result<Vec<ZoneRow>, StockError> {
    Ok(db
        .tenant_tx(scope, async |tx| repo::list_zones(tx).await)
        .await?)
}

/// Stock rows, filtered by zone code and/or SKU, at most `limit`.
pub async fn stock(
    db: &Db,
    scope: &TenantScope,
    zone: Option<&str>,
    sku: Option<&str>,
    limit: i64,
) -> Result<Vec<StockRowView>, StockError> {
    Ok(db
        .tenant_tx(scope, async |tx| {
            repo::stock_list(tx, zone, sku, limit).await
        })
        .await?)
}

/// How many low-stock variants one request lists at most.
const LOW_STOCK_LIMIT: i64 = 500;

/// Variants whose available units (all active zones) are below their reorder threshold.
pub async fn low_stock(db: &Db, scope: &TenantScope) -> Result<Vec<LowStockRow>, StockError> {
    Ok(db
        .tenant_tx(scope, async |tx| repo::low_stock(tx, LOW_STOCK_LIMIT).await)
        .await?)
}

/// A SKU's ledger, newest first, at most `limit` movements.
pub async fn movements(
    db: &Db,
    scope: &TenantScope,
    sku: &str,
    limit: i64,
) -> Result<Vec<MovementRow>, StockError> {
    Ok(db
        .tenant_tx(scope, async |tx| {
            repo::movements_for_sku(tx, sku, limit).await
        })
        .await?)
}
