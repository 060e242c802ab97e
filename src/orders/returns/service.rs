//! Returns: requested for units that shipped, approved or rejected by a manager, received by
//! the warehouse through the ledger. Each transaction locks the order row, then the return,
//! then stock rows; so concurrent requests for one order queue, and together they never ask
//! for more units than left the warehouse.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{Return, ReturnLine, ReturnStatus, repo};
use crate::{
    audit,
    db::{Db, DbError, Tx},
    error::{FieldError, FieldErrors},
    events::{self, EventType},
    inventory::{self, engine, movement::MovementKind},
    orders::{OrderError, repo as orders_repo},
    scope::TenantScope,
    types::{Quantity, Sku, ZoneCode, refuse_nul},
};

/// Lines per request at most.
const MAX_LINES: usize = 100;
/// Characters of a reason or note at most.
const MAX_REASON: usize = 1000;

/// Units of one SKU, unparsed.
#[derive(Debug, Clone)]
pub struct LineInput {
    pub sku: String,
    pub quantity: i32,
}

/// A return request, unparsed.
#[derive(Debug, Clone)]
pub struct ReturnInput {
    pub reason: String,
    pub lines: Vec<LineInput>,
}

/// How the units of one SKU arrived, unparsed.
#[derive(Debug, Clone)]
pub struct ReceiveLineInput {
    pub sku: String,
    /// Back into stock.
    pub resellable: i32,
    /// Cannot be sold again.
    pub written_off: i32,
    /// Why (required when `written_off` > 0).
    pub write_off_reason: Option<String>,
}

/// A reception, unparsed.
#[derive(Debug, Clone)]
pub struct ReceiveInput {
    /// The code of the zone the resellable units go back to.
    pub zone: String,
    /// `None`: every unit is resellable.
    pub lines: Option<Vec<ReceiveLineInput>>,
}

/// A reason or note: trimmed, 1 to 1,000 characters, no NUL.
pub(crate) fn parse_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    max: usize,
) -> Option<String> {
    let trimmed = value.trim();
    if let Err(e) = refuse_nul(trimmed) {
        errors.push(FieldError::new(field, e.into_message()));
        return None;
    }
    if trimmed.is_empty() || trimmed.chars().count() > max {
        errors.push(FieldError::new(field, format!("1 to {max} characters")));
        return None;
    }
    Some(trimmed.to_owned())
}

/// Parses request lines into units per SKU (a SKU named twice adds up), keeping the first
/// index each SKU was named at for error messages.
pub(crate) fn parse_lines(
    errors: &mut Vec<FieldError>,
    lines: &[LineInput],
) -> BTreeMap<String, (usize, i32)> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        errors.push(FieldError::new("lines", format!("1 to {MAX_LINES} lines")));
    }
    let mut out: BTreeMap<String, (usize, i32)> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        let sku = errors.check(format!("lines[{i}].sku"), Sku::parse(&l.sku));
        let quantity = errors.check(
            format!("lines[{i}].quantity"),
            Quantity::<1_000_000>::try_from(l.quantity),
        );
        if let (Some(sku), Some(q)) = (sku, quantity) {
            let entry = out.entry(sku.as_str().to_owned()).or_insert((i, 0));
            entry.1 = entry.1.saturating_add(q.get());
        }
    }
    out
}

/// Spreads `wanted` units over the lines of one SKU, each taking at most its `room`: (line,
/// units). `None` when the lines' room is short.
pub(crate) fn spread(rooms: &[(Uuid, i32)], wanted: i32) -> Option<Vec<(Uuid, i32)>> {
    let mut left = wanted;
    let mut out = Vec::new();
    for &(line, room) in rooms {
        if left == 0 {
            break;
        }
        let take = room.min(left);
        if take > 0 {
            out.push((line, take));
            left -= take;
        }
    }
    (left == 0).then_some(out)
}

/// Requests a return of shipped units of order `number`. Per SKU at most what shipped and is
/// not in another return (422 naming the line); an order that shipped nothing: 409.
pub async fn request(
    db: &Db,
    scope: &TenantScope,
    number: i32,
    input: &ReturnInput,
) -> Result<Return, OrderError> {
    let mut errors = Vec::new();
    let reason = parse_text(&mut errors, "reason", &input.reason, MAX_REASON);
    let wanted = parse_lines(&mut errors, &input.lines);
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(OrderError::Invalid(errors));
    };
    let tenant = scope.tenant_id();
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let order = orders_repo::lock_order(tx, None, Some(number))
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            let units = repo::line_units(tx, tenant, order.id).await?;
            if units.iter().all(|l| l.shipped == 0) {
                return Err(OrderError::Conflict(format!(
                    "order {number} has shipped nothing, so nothing can be returned (a paid \
                     order that has not shipped is cancelled instead)"
                )));
            }
            let mut lines = Vec::new();
            let mut errors = Vec::new();
            for (sku, (i, q)) in &wanted {
                let rooms: Vec<(Uuid, i32)> = units
                    .iter()
                    .filter(|l| &l.sku == sku)
                    .map(|l| (l.id, l.shipped - l.in_returns))
                    .collect();
                if rooms.is_empty() {
                    errors.push(FieldError::new(
                        format!("lines[{i}].sku"),
                        "not in this order",
                    ));
                    continue;
                }
                match spread(&rooms, *q) {
                    Some(taken) => lines.extend(taken),
                    None => errors.push(FieldError::new(
                        format!("lines[{i}].quantity"),
                        format!(
                            "at most {} units of {sku} can be returned (shipped and not in \
                             another return)",
                            rooms.iter().map(|r| r.1.max(0)).sum::<i32>()
                        ),
                    )),
                }
            }
            if !errors.is_empty() {
                return Err(OrderError::Invalid(errors));
            }
            let id = repo::insert_return(tx, tenant, order.id, &reason, &lines).await?;
            let units_total: i32 = lines.iter().map(|l| l.1).sum();
            audit::record(
                tx,
                "return.request",
                &id.to_string(),
                serde_json::json!({"order": number, "units": units_total}),
            )
            .await?;
            let view = load(tx, tenant, id).await?;
            events::record(
                tx,
                EventType::ReturnRequested,
                &id.to_string(),
                event_payload(&view, order.id),
                None,
            )
            .await?;
            Ok(view)
        }
    })
    .await
}

/// The event's payload: ids, SKUs and units, no personal data (not even the free-text reason).
fn event_payload(r: &Return, order_id: Uuid) -> serde_json::Value {
    serde_json::json!({
        "return_id": r.id,
        "order_id": order_id,
        "number": r.order,
        "status": r.status,
        "zone": r.zone.0.clone(),
        "lines": r.lines.iter().map(|l| serde_json::json!({
            "sku": l.sku,
            "quantity": l.quantity,
            "resellable_quantity": l.resellable_quantity.0,
            "written_off_quantity": l.written_off_quantity.0,
        })).collect::<Vec<_>>(),
    })
}

/// Locks the order of return `id`, then the return. 404 when the brand has no such return.
async fn lock(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<repo::LockedReturn, OrderError> {
    let not_found = OrderError::NotFound("no such return");
    let order = repo::return_order(tx, tenant, id)
        .await?
        .ok_or(OrderError::NotFound("no such return"))?;
    orders_repo::lock_order(tx, Some(order), None).await?;
    repo::lock_return(tx, tenant, id).await?.ok_or(not_found)
}

/// Approves (`approve`) or rejects a requested return; any other status: 409.
pub async fn decide(
    db: &Db,
    scope: &TenantScope,
    id: Uuid,
    approve: bool,
    note: Option<&str>,
) -> Result<Return, OrderError> {
    let mut errors = Vec::new();
    let note = note.and_then(|n| parse_text(&mut errors, "note", n, MAX_REASON));
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    let tenant = scope.tenant_id();
    let status = if approve {
        ReturnStatus::Approved
    } else {
        ReturnStatus::Rejected
    };
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let r = lock(tx, tenant, id).await?;
            if r.status != ReturnStatus::Requested {
                return Err(OrderError::Conflict(format!(
                    "a {} return cannot be {}",
                    r.status,
                    if approve { "approved" } else { "rejected" }
                )));
            }
            repo::decide_return(tx, tenant, id, status, note.as_deref()).await?;
            audit::record(
                tx,
                if approve {
                    "return.approve"
                } else {
                    "return.reject"
                },
                &id.to_string(),
                serde_json::json!({"order": r.order_number}),
            )
            .await?;
            load(tx, tenant, id).await
        }
    })
    .await
}

/// How the request splits the units of each return line: (line, resellable, written off,
/// reason).
type Split = Vec<(Uuid, i32, i32, Option<String>)>;

/// Matches a reception's lines to the return's lines (per SKU the units must add up to the
/// return's), spreading each SKU's resellable units first.
fn split(
    lines: &[repo::ReturnLineRow],
    input: Option<&[ReceiveLineInput]>,
) -> Result<Split, Vec<FieldError>> {
    let Some(input) = input else {
        return Ok(lines.iter().map(|l| (l.id, l.quantity, 0, None)).collect());
    };
    let mut errors = Vec::new();
    if input.is_empty() || input.len() > MAX_LINES {
        errors.push(FieldError::new("lines", format!("1 to {MAX_LINES} lines")));
    }
    let mut per_sku: BTreeMap<String, (usize, i32, i32, Option<String>)> = BTreeMap::new();
    for (i, l) in input.iter().enumerate() {
        let sku = errors.check(format!("lines[{i}].sku"), Sku::parse(&l.sku));
        for (field, n) in [("resellable", l.resellable), ("written_off", l.written_off)] {
            if !(0..=1_000_000).contains(&n) {
                errors.push(FieldError::new(
                    format!("lines[{i}].{field}"),
                    "0 to 1000000",
                ));
            }
        }
        let reason = match l.write_off_reason.as_deref() {
            Some(r) => parse_text(&mut errors, &format!("lines[{i}].write_off_reason"), r, 500),
            None if l.written_off > 0 => {
                errors.push(FieldError::new(
                    format!("lines[{i}].write_off_reason"),
                    "say why units are written off",
                ));
                None
            }
            None => None,
        };
        if let Some(sku) = sku {
            if per_sku.contains_key(sku.as_str()) {
                errors.push(FieldError::new(format!("lines[{i}].sku"), "named twice"));
                continue;
            }
            per_sku.insert(
                sku.as_str().to_owned(),
                (i, l.resellable.max(0), l.written_off.max(0), reason),
            );
        }
    }
    let mut out = Vec::new();
    let skus: std::collections::BTreeSet<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
    for (sku, (i, _, _, _)) in &per_sku {
        if !skus.contains(sku.as_str()) {
            errors.push(FieldError::new(
                format!("lines[{i}].sku"),
                "not in this return",
            ));
        }
    }
    for sku in skus {
        let of_sku: Vec<&repo::ReturnLineRow> = lines.iter().filter(|l| l.sku == sku).collect();
        let total: i32 = of_sku.iter().map(|l| l.quantity).sum();
        // Resellable units go to the first lines; the rest of each line is written off (the
        // sum was checked against the return's units just below).
        let Some((i, mut resellable, written_off, reason)) = per_sku.get(sku).cloned() else {
            errors.push(FieldError::new(
                "lines",
                format!("say how the {total} units of {sku} arrived"),
            ));
            continue;
        };
        if resellable + written_off != total {
            errors.push(FieldError::new(
                format!("lines[{i}]"),
                format!("resellable + written_off must be the return's {total} units of {sku}"),
            ));
            continue;
        }
        for l in of_sku {
            let r = resellable.min(l.quantity);
            let w = l.quantity - r;
            resellable -= r;
            out.push((l.id, r, w, reason.clone().filter(|_| w > 0)));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Receives an approved return into `zone`: every unit arrives (`return`), the written-off
/// ones leave the books at once (`write_off` with the reason). Another status: 409.
pub async fn receive(
    db: &Db,
    scope: &TenantScope,
    id: Uuid,
    input: &ReceiveInput,
) -> Result<Return, OrderError> {
    let mut errors = Vec::new();
    let zone = errors.check("zone", ZoneCode::parse(&input.zone));
    let Some(zone) = zone.filter(|_| errors.is_empty()) else {
        return Err(OrderError::Invalid(errors));
    };
    let tenant = scope.tenant_id();
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let r = lock(tx, tenant, id).await?;
            if r.status != ReturnStatus::Approved {
                return Err(OrderError::Conflict(format!(
                    "a {} return cannot be received (only an approved one)",
                    r.status
                )));
            }
            let zone_row = inventory::service::find_zone(tx, zone.as_str())
                .await?
                .ok_or_else(|| {
                    OrderError::Invalid(vec![FieldError::new("zone", "no such zone")])
                })?;
            let lines = repo::return_lines(tx, tenant, &[id]).await?;
            let split = split(&lines, input.lines.as_deref()).map_err(OrderError::Invalid)?;
            let variant_of = |line: Uuid| {
                lines
                    .iter()
                    .find(|l| l.id == line)
                    .map(|l| l.variant_id)
                    .unwrap_or_default()
            };
            let variants: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect();
            for v in &variants {
                engine::ensure_row(tx, *v, zone_row.id).await?;
            }
            engine::lock_rows(tx, &variants).await?;
            let mut deltas = Vec::new();
            for (line, resellable, written_off, reason) in &split {
                let delta = |kind, on_hand, reason| engine::Delta {
                    variant_id: variant_of(*line),
                    zone_id: zone_row.id,
                    kind,
                    on_hand,
                    reserved: 0,
                    reason,
                    order_id: Some(r.order_id),
                    hold_id: None,
                };
                deltas.push(delta(
                    MovementKind::Return,
                    resellable + written_off,
                    Some(format!("return of order {}", r.order_number)),
                ));
                if *written_off > 0 {
                    deltas.push(delta(MovementKind::WriteOff, -written_off, reason.clone()));
                }
            }
            engine::apply(tx, &deltas).await?;
            let received: Vec<repo::Received<'_>> = split
                .iter()
                .map(|(line, resellable, written_off, reason)| repo::Received {
                    line_id: *line,
                    resellable: *resellable,
                    written_off: *written_off,
                    reason: reason.as_deref(),
                })
                .collect();
            repo::receive_return(tx, tenant, id, zone_row.id, &received).await?;
            audit::record(
                tx,
                "return.receive",
                &id.to_string(),
                serde_json::json!({
                    "order": r.order_number,
                    "zone": zone_row.code,
                    "resellable": split.iter().map(|s| s.1).sum::<i32>(),
                    "written_off": split.iter().map(|s| s.2).sum::<i32>(),
                }),
            )
            .await?;
            let view = load(tx, tenant, id).await?;
            events::record(
                tx,
                EventType::ReturnReceived,
                &id.to_string(),
                event_payload(&view, r.order_id),
                None,
            )
            .await?;
            Ok(view)
        }
    })
    .await
}

/// Builds return views from rows.
async fn views(
    tx: &Tx<'_>,
    tenant: Uuid,
    rows: Vec<repo::ReturnRow>,
) -> Result<Vec<Return>, DbError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let lines = repo::return_lines(tx, tenant, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Return {
            lines: lines
                .iter()
                .filter(|l| l.return_id == r.id)
                .map(|l| ReturnLine {
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    resellable_quantity: l.resellable_quantity.into(),
                    written_off_quantity: l.written_off_quantity.into(),
                    write_off_reason: l.write_off_reason.clone().into(),
                })
                .collect(),
            id: r.id,
            order: r.order_number,
            status: r.status,
            reason: r.reason,
            decision_note: r.decision_note.into(),
            zone: r.zone_code.into(),
            requested_by: r.requested_by.into(),
            decided_by: r.decided_by.into(),
            received_by: r.received_by.into(),
            created_at: r.created_at,
            decided_at: r.decided_at.into(),
            received_at: r.received_at.into(),
        })
        .collect())
}

async fn load(tx: &Tx<'_>, tenant: Uuid, id: Uuid) -> Result<Return, OrderError> {
    let rows = repo::returns(tx, tenant, Some(id), None).await?;
    views(tx, tenant, rows)
        .await?
        .pop()
        .ok_or(OrderError::NotFound("no such return"))
}

/// One return of the brand (404 for another brand's: row-level security shows none).
pub async fn get(db: &Db, scope: &TenantScope, id: Uuid) -> Result<Return, OrderError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| load(tx, tenant, id).await)
        .await
}

/// The returns of order `number`, oldest first.
pub async fn for_order(
    db: &Db,
    scope: &TenantScope,
    number: i32,
) -> Result<Vec<Return>, OrderError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        let order = repo::order_id_by_number(tx, tenant, number)
            .await?
            .ok_or(OrderError::NotFound("no such order"))?;
        let rows = repo::returns(tx, tenant, None, Some(order)).await?;
        Ok(views(tx, tenant, rows).await?)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_fills_lines_in_order_and_refuses_a_shortfall() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(spread(&[(a, 2), (b, 3)], 4), Some(vec![(a, 2), (b, 2)]));
        assert_eq!(spread(&[(a, 0), (b, 3)], 3), Some(vec![(b, 3)]));
        assert_eq!(spread(&[(a, 2), (b, 3)], 6), None);
        assert_eq!(spread(&[(a, -1)], 1), None);
    }
}
