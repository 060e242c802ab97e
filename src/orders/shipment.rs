//! Shipments: the parcels of a paid order, each leaving from one zone with a carrier and
//! tracking, partial until everything is out.
//!
//! A shipment names the order lines (by SKU) and units it carries, or nothing, meaning every
//! unit still to ship. Per line it may carry at most what was ordered minus what earlier
//! shipments carried (422 otherwise); only `paid` and `partially_shipped` orders ship (409
//! otherwise). The order becomes `partially_shipped`, then `shipped` with the shipment that
//! carries its last units (`shipped_at`, the `order.shipped` event and the customer's
//! notification come then). Every shipment records a `shipment.created` event.
//! `POST .../ship` is "ship everything remaining" without tracking: one shipment per zone the
//! remaining units were sold from, so old clients keep working.
//!
//! # Stock: where a parcel leaves from
//! Payment already took the units off the shelf: each confirmed hold is a `sale` that lowered
//! `on_hand` (and `reserved`) of the zone it held units in (the *sold* zone). A confirmed hold
//! counts its units that have shipped (`holds.shipped_quantity`, never more than it sold: a
//! table check). A shipment covers each line's units from the line's sales in the shipment's
//! zone first (nothing moves: the books already say those units are gone), then from its
//! sales in other zones, by zone code. Units sold in zone S but picked in zone P (the
//! warehouse took them from another shelf) are a swap, written through the ledger with the
//! order's id: `transfer_out` of P (its shelf lost them) and `transfer_in` of S (the units the
//! sale took from S's books are still on S's shelf). So each zone's `on_hand` matches what
//! physically left it, and `on_hand = sum(on_hand_delta)` holds. P must have the units
//! available (`on_hand - reserved`, after releasing expired holds on those rows): a swap never
//! takes units held for other orders or oversells; otherwise the shipment is refused (409)
//! naming the SKU and what P has.
//!
//! # Concurrency
//! The order row is locked first (as every order transaction does), then the stock rows of the
//! swapped variants in the global lock order: two shipments of one order run one after the
//! other, and the second sees what the first shipped, so they never over-ship together.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{
    Order, OrderError, Shipment, load_order, repo,
    status::{HoldStatus, OrderStatus},
};
use crate::{
    audit,
    db::{Db, DbError, Tx},
    error::{FieldError, FieldErrors},
    events::{self, EventType},
    inventory::{self, engine, movement::MovementKind},
    notify::{self, NotificationEvent},
    scope::TenantScope,
    types::{HttpsUrl, Quantity, Sku, Text, ZoneCode},
};

/// A carrier's name, e.g. `DHL`: 1 to 100 characters.
pub type Carrier = Text<1, 100>;
/// A parcel's tracking number: 1 to 100 characters.
pub type TrackingNumber = Text<1, 100>;
/// Lines one shipment request may name.
pub const MAX_LINES: usize = 100;

/// Units of one SKU a shipment request names.
#[derive(Debug, Clone)]
pub struct LineInput {
    pub sku: String,
    pub quantity: i32,
}

/// A shipment as staff record it, unparsed.
#[derive(Debug, Clone)]
pub struct ShipmentInput {
    pub carrier: String,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// The code of the zone the parcel leaves from.
    pub zone: String,
    /// `None`: every unit still to ship.
    pub lines: Option<Vec<LineInput>>,
}

/// Carrier and tracking of a parcel, parsed (all `None` for `POST .../ship`).
#[derive(Debug, Clone, Default)]
struct Tracking {
    carrier: Option<Carrier>,
    number: Option<TrackingNumber>,
    url: Option<HttpsUrl>,
}

/// A shipment request, parsed.
struct Parsed {
    tracking: Tracking,
    zone: ZoneCode,
    /// (request index, SKU, units); `None`: everything remaining.
    lines: Option<Vec<(usize, Sku, i32)>>,
}

/// Parses a request, collecting every invalid field.
fn parse(input: &ShipmentInput) -> Result<Parsed, Vec<FieldError>> {
    let mut errors = Vec::new();
    let carrier = errors.check("carrier", Carrier::parse(&input.carrier));
    let number = input
        .tracking_number
        .as_deref()
        .and_then(|n| errors.check("tracking_number", TrackingNumber::parse(n)));
    let url = input
        .tracking_url
        .as_deref()
        .and_then(|u| errors.check("tracking_url", HttpsUrl::parse(u)));
    let zone = errors.check("zone", ZoneCode::parse(&input.zone));
    let lines = input.lines.as_ref().map(|lines| {
        if lines.is_empty() || lines.len() > MAX_LINES {
            errors.push(FieldError::new(
                "lines",
                format!("1 to {MAX_LINES} lines, or leave it out to ship every unit still to ship"),
            ));
        }
        lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let sku = errors.check(format!("lines[{i}].sku"), Sku::parse(&l.sku));
                let quantity = errors.check(
                    format!("lines[{i}].quantity"),
                    Quantity::<1_000_000>::try_from(l.quantity),
                );
                Some((i, sku?, quantity?.get()))
            })
            .collect()
    });
    match (errors.is_empty(), zone) {
        (true, Some(zone)) => Ok(Parsed {
            tracking: Tracking {
                carrier,
                number,
                url,
            },
            zone,
            lines,
        }),
        _ => Err(errors),
    }
}

/// Units of one sale (a confirmed hold) not shipped yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sold {
    hold_id: Uuid,
    line_id: Uuid,
    variant_id: Uuid,
    zone_id: Uuid,
    zone_code: String,
    remaining: i32,
}

fn unshipped(holds: Vec<repo::OrderHold>) -> Vec<Sold> {
    holds
        .into_iter()
        .filter(|h| h.status == HoldStatus::Confirmed && h.shipped_quantity < h.quantity)
        .map(|h| Sold {
            hold_id: h.id,
            line_id: h.line_id,
            variant_id: h.variant_id,
            zone_id: h.zone_id,
            zone_code: h.zone_code,
            remaining: h.quantity - h.shipped_quantity,
        })
        .collect()
}

/// Units still to ship of one order line.
fn remaining_of(sold: &[Sold], line_id: Uuid) -> i32 {
    sold.iter()
        .filter(|s| s.line_id == line_id)
        .map(|s| s.remaining)
        .sum()
}

/// What a request asks of each order line, as (line id, units): every unit still to ship when
/// it names no lines; else its SKUs' units spread over the order's lines of that SKU in line
/// order. A SKU the order does not have, or more units than it still has to ship, is a 422
/// naming the request's line.
fn wanted(
    lines: &[repo::LineRow],
    sold: &[Sold],
    request: Option<&[(usize, Sku, i32)]>,
) -> Result<Vec<(Uuid, i32)>, Vec<FieldError>> {
    let Some(request) = request else {
        return Ok(lines
            .iter()
            .map(|l| (l.id, remaining_of(sold, l.id)))
            .filter(|(_, q)| *q > 0)
            .collect());
    };
    let mut errors = Vec::new();
    // Per SKU: the first request line naming it, and the units asked in all.
    let mut asked: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
    for (i, sku, quantity) in request {
        if lines.iter().any(|l| l.sku == sku.as_str()) {
            let entry = asked.entry(sku.as_str()).or_insert((*i, 0));
            entry.1 += i64::from(*quantity);
        } else {
            errors.push(FieldError::new(
                format!("lines[{i}].sku"),
                "not a SKU of this order",
            ));
        }
    }
    let mut out = Vec::new();
    for (sku, (i, mut units)) in asked {
        let of_sku: Vec<(Uuid, i32)> = lines
            .iter()
            .filter(|l| l.sku == sku)
            .map(|l| (l.id, remaining_of(sold, l.id)))
            .collect();
        let left: i64 = of_sku.iter().map(|(_, q)| i64::from(*q)).sum();
        if units > left {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                format!("at most {left} units of {sku} are still to ship (ordered minus shipped)"),
            ));
            continue;
        }
        for (line_id, remaining) in of_sku {
            let take = i64::from(remaining).min(units);
            if take > 0 {
                units -= take;
                out.push((line_id, i32::try_from(take).unwrap_or(remaining)));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Units of one sale a shipment carries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cover {
    hold_id: Uuid,
    line_id: Uuid,
    variant_id: Uuid,
    /// Where the sale took them from.
    sold_zone: Uuid,
    sold_zone_code: String,
    quantity: i32,
}

/// Which sales a shipment from `zone` covers for the `wanted` units of each line: those sold
/// in `zone` first (nothing moves), then those sold in other zones by zone code (a swap).
/// `wanted` never exceeds what the lines still have to ship ([`wanted`] checked it).
fn cover(sold: &[Sold], wanted: &[(Uuid, i32)], zone: Uuid) -> Vec<Cover> {
    let mut out = Vec::new();
    for (line_id, units) in wanted {
        let mut of_line: Vec<&Sold> = sold.iter().filter(|s| s.line_id == *line_id).collect();
        of_line.sort_by(|a, b| {
            (a.zone_id != zone, &a.zone_code, a.hold_id).cmp(&(
                b.zone_id != zone,
                &b.zone_code,
                b.hold_id,
            ))
        });
        let mut left = *units;
        for s in of_line {
            let take = s.remaining.min(left);
            if take > 0 {
                left -= take;
                out.push(Cover {
                    hold_id: s.hold_id,
                    line_id: s.line_id,
                    variant_id: s.variant_id,
                    sold_zone: s.zone_id,
                    sold_zone_code: s.zone_code.clone(),
                    quantity: take,
                });
            }
        }
    }
    out
}

/// The zone a parcel leaves from.
struct Zone {
    id: Uuid,
    code: String,
}

/// Writes the swaps of units sold in another zone than the one they were picked in (see the
/// module doc): `transfer_out` of the picked zone, `transfer_in` of the sold one, refused (409)
/// when the picked zone lacks available units.
async fn swap_stock(
    tx: &Tx<'_>,
    order: &repo::LockedOrder,
    zone: &Zone,
    covers: &[Cover],
    skus: &BTreeMap<Uuid, String>,
) -> Result<(), OrderError> {
    let swapped: Vec<&Cover> = covers.iter().filter(|c| c.sold_zone != zone.id).collect();
    if swapped.is_empty() {
        return Ok(());
    }
    let variants: Vec<Uuid> = swapped.iter().map(|c| c.variant_id).collect();
    let mut rows = engine::lock_rows(tx, &variants).await?;
    let mut deltas = engine::release_expired(tx, &variants, &mut rows).await?;
    let mut needed: BTreeMap<Uuid, i32> = BTreeMap::new();
    for c in &swapped {
        *needed.entry(c.variant_id).or_default() += c.quantity;
    }
    let short: Vec<String> = needed
        .iter()
        .filter_map(|(variant, n)| {
            let available = rows
                .iter()
                .find(|r| r.variant_id == *variant && r.zone_id == zone.id)
                .map_or(0, engine::LockedRow::available);
            let sku = skus.get(variant).map_or("?", String::as_str);
            (available < *n).then(|| {
                format!(
                    "{sku} in {}: {available} available (not held), {n} needed to ship units \
                     sold from other zones",
                    zone.code
                )
            })
        })
        .collect();
    if !short.is_empty() {
        return Err(OrderError::Conflict(short.join("; ")));
    }
    for c in swapped {
        let number = order.number;
        for (zone_id, kind, units, reason) in [
            (
                zone.id,
                MovementKind::TransferOut,
                -c.quantity,
                format!("picked for order {number}, sold from {}", c.sold_zone_code),
            ),
            (
                c.sold_zone,
                MovementKind::TransferIn,
                c.quantity,
                format!("sold to order {number} but picked in {}", zone.code),
            ),
        ] {
            deltas.push(engine::Delta {
                variant_id: c.variant_id,
                zone_id,
                kind,
                on_hand: units,
                reserved: 0,
                reason: Some(reason),
                order_id: Some(order.id),
                hold_id: Some(c.hold_id),
            });
        }
    }
    engine::apply(tx, &deltas).await?;
    Ok(())
}

/// A parcel just recorded, for its event.
struct Parcel {
    id: Uuid,
    zone: String,
    tracking: Tracking,
    /// (SKU, units), in line order.
    lines: Vec<(String, i32)>,
}

/// Counts the covered units as shipped and writes the shipment with its lines.
async fn record_parcel(
    tx: &Tx<'_>,
    scope: &TenantScope,
    order: &repo::LockedOrder,
    zone: &Zone,
    covers: &[Cover],
    lines: &[repo::LineRow],
    tracking: Tracking,
) -> Result<Parcel, DbError> {
    let tenant = scope.tenant_id();
    let holds: Vec<Uuid> = covers.iter().map(|c| c.hold_id).collect();
    let units: Vec<i32> = covers.iter().map(|c| c.quantity).collect();
    repo::ship_holds(tx, tenant, &holds, &units).await?;
    let per_line: Vec<(Uuid, i32)> = lines
        .iter()
        .map(|l| {
            let units = covers
                .iter()
                .filter(|c| c.line_id == l.id)
                .map(|c| c.quantity)
                .sum();
            (l.id, units)
        })
        .filter(|(_, units)| *units > 0)
        .collect();
    let (id, _, _) = repo::insert_shipment(
        tx,
        tenant,
        &repo::NewShipment {
            order_id: order.id,
            zone_id: zone.id,
            carrier: tracking.carrier.as_ref().map(Carrier::as_str),
            tracking_number: tracking.number.as_ref().map(TrackingNumber::as_str),
            tracking_url: tracking.url.as_ref().map(HttpsUrl::as_str),
        },
        &per_line,
    )
    .await?;
    let lines = per_line
        .iter()
        .filter_map(|(line_id, units)| {
            let line = lines.iter().find(|l| l.id == *line_id)?;
            Some((line.sku.clone(), *units))
        })
        .collect();
    Ok(Parcel {
        id,
        zone: zone.code.clone(),
        tracking,
        lines,
    })
}

/// After the order's parcels: `partially_shipped`, or `shipped` when no unit is left (then the
/// customer's notification is queued); the audit entry; the events, last (see
/// `events::record`): one `shipment.created` per parcel, then `order.shipped` when complete.
async fn conclude(
    tx: &Tx<'_>,
    order: &repo::LockedOrder,
    parcels: &[Parcel],
    action: &str,
) -> Result<OrderStatus, OrderError> {
    let left = unshipped(repo::order_holds(tx, order.id).await?);
    let status = if left.is_empty() {
        OrderStatus::Shipped
    } else {
        OrderStatus::PartiallyShipped
    };
    if status != order.status {
        repo::set_order_status(tx, order.id, status, None).await?;
    }
    audit::record(
        tx,
        action,
        &order.number.to_string(),
        serde_json::json!({
            "shipments": parcels.iter().map(|p| serde_json::json!({
                "id": p.id, "zone": p.zone, "lines": p.lines.len(),
            })).collect::<Vec<_>>(),
            "status": status,
        }),
    )
    .await?;
    if status == OrderStatus::Shipped {
        notify::queue(tx, order.id, NotificationEvent::Shipped).await?;
    }
    for p in parcels {
        let payload = serde_json::json!({
            "order_id": order.id,
            "number": order.number,
            "order_status": status,
            "shipment_id": p.id,
            "zone": p.zone,
            "carrier": p.tracking.carrier.as_ref().map(Carrier::as_str),
            "tracking_number": p.tracking.number.as_ref().map(TrackingNumber::as_str),
            "tracking_url": p.tracking.url.as_ref().map(HttpsUrl::as_str),
            "lines": p.lines.iter().map(|(sku, quantity)| {
                serde_json::json!({"sku": sku, "quantity": quantity})
            }).collect::<Vec<_>>(),
        });
        events::record(
            tx,
            EventType::ShipmentCreated,
            &order.number.to_string(),
            payload,
            None,
        )
        .await?;
    }
    if status == OrderStatus::Shipped {
        super::record_event(tx, EventType::OrderShipped, order, status, None).await?;
    }
    Ok(status)
}

/// Locks the order (first in the lock order) and checks it may ship.
async fn lock_shippable(tx: &Tx<'_>, number: i32) -> Result<repo::LockedOrder, OrderError> {
    let order = repo::lock_order(tx, None, Some(number))
        .await?
        .ok_or(OrderError::NotFound("no such order"))?;
    if !order.status.is_shippable() {
        return Err(OrderError::Conflict(format!(
            "a {} order cannot be shipped (only paid and partially_shipped orders)",
            order.status
        )));
    }
    Ok(order)
}

/// The order as staff see it, after the change.
async fn staff_view(tx: &Tx<'_>, order_id: Uuid) -> Result<Order, OrderError> {
    load_order(tx, Some(order_id), None, true)
        .await?
        .ok_or(OrderError::NotFound("no such order"))
}

/// Records one shipment of a paid or partially shipped order (see the module doc); returns it
/// and the order as it now is.
pub async fn create(
    db: &Db,
    scope: &TenantScope,
    number: i32,
    input: &ShipmentInput,
) -> Result<(Shipment, Order), OrderError> {
    let parsed = parse(input).map_err(OrderError::Invalid)?;
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let order = lock_shippable(tx, number).await?;
            let zone = inventory::service::find_zone(tx, parsed.zone.as_str())
                .await?
                .map(|z| Zone {
                    id: z.id,
                    code: z.code,
                })
                .ok_or_else(|| {
                    OrderError::Invalid(vec![FieldError::new("zone", "no such zone")])
                })?;
            let lines = repo::order_lines(tx, order.id).await?;
            let sold = unshipped(repo::order_holds(tx, order.id).await?);
            let wanted =
                wanted(&lines, &sold, parsed.lines.as_deref()).map_err(OrderError::Invalid)?;
            if wanted.is_empty() {
                // A paid order always has units to ship; one shipped by hand in the database
                // may not.
                return Err(OrderError::Conflict("nothing is left to ship".into()));
            }
            let covers = cover(&sold, &wanted, zone.id);
            let skus: BTreeMap<Uuid, String> = lines
                .iter()
                .map(|l| (l.variant_id, l.sku.clone()))
                .collect();
            swap_stock(tx, &order, &zone, &covers, &skus).await?;
            let parcel = record_parcel(
                tx,
                scope,
                &order,
                &zone,
                &covers,
                &lines,
                parsed.tracking.clone(),
            )
            .await?;
            let id = parcel.id;
            conclude(tx, &order, &[parcel], "order.shipment").await?;
            let view = staff_view(tx, order.id).await?;
            let shipment = view
                .shipments
                .iter()
                .find(|s| s.id == id)
                .cloned()
                .ok_or(OrderError::NotFound("no such shipment"))?;
            Ok((shipment, view))
        }
    })
    .await
}

/// Ships every unit still to ship, without tracking (`POST .../ship`): one shipment per zone
/// the units were sold from (by zone code), so no stock moves. Only paid and partially
/// shipped orders (409 otherwise).
pub async fn ship_remaining(
    db: &Db,
    scope: &TenantScope,
    number: i32,
) -> Result<Order, OrderError> {
    db.tenant_tx_retry(scope, || {
        async |tx| {
            let order = lock_shippable(tx, number).await?;
            let lines = repo::order_lines(tx, order.id).await?;
            let sold = unshipped(repo::order_holds(tx, order.id).await?);
            let mut zones: BTreeMap<String, Uuid> = BTreeMap::new();
            for s in &sold {
                zones.insert(s.zone_code.clone(), s.zone_id);
            }
            let mut parcels = Vec::new();
            for (code, id) in zones {
                let covers: Vec<Cover> = sold
                    .iter()
                    .filter(|s| s.zone_id == id)
                    .map(|s| Cover {
                        hold_id: s.hold_id,
                        line_id: s.line_id,
                        variant_id: s.variant_id,
                        sold_zone: s.zone_id,
                        sold_zone_code: s.zone_code.clone(),
                        quantity: s.remaining,
                    })
                    .collect();
                let zone = Zone { id, code };
                parcels.push(
                    record_parcel(
                        tx,
                        scope,
                        &order,
                        &zone,
                        &covers,
                        &lines,
                        Tracking::default(),
                    )
                    .await?,
                );
            }
            conclude(tx, &order, &parcels, "order.ship").await?;
            staff_view(tx, order.id).await
        }
    })
    .await
}

/// The order's shipments, for staff (404 for an unknown order).
pub async fn list(db: &Db, scope: &TenantScope, number: i32) -> Result<Vec<Shipment>, OrderError> {
    db.tenant_tx(scope, async |tx| {
        let order = repo::order_view(tx, None, Some(number))
            .await?
            .ok_or(OrderError::NotFound("no such order"))?;
        Ok(super::load_shipments(tx, scope.tenant_id(), order.id, true).await?)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sold(line: u128, zone: u128, code: &str, hold: u128, remaining: i32) -> Sold {
        Sold {
            hold_id: Uuid::from_u128(hold),
            line_id: Uuid::from_u128(line),
            variant_id: Uuid::from_u128(line + 100),
            zone_id: Uuid::from_u128(zone),
            zone_code: code.into(),
            remaining,
        }
    }

    fn line(id: u128, sku: &str, quantity: i32) -> repo::LineRow {
        repo::LineRow {
            id: Uuid::from_u128(id),
            variant_id: Uuid::from_u128(id + 100),
            sku: sku.into(),
            quantity,
            unit_price_minor: 100,
            tax_class: None,
            tax_rate_bp: 0,
            tax_minor: 0,
            line_total_minor: 100 * i64::from(quantity),
        }
    }

    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap()
    }

    #[test]
    fn a_line_ships_from_the_picked_zone_first_then_other_zones_by_code() {
        // Line 1 sold 2 in BER, 3 in HAM, 1 in MUC; the parcel leaves HAM with 5.
        let s = [
            sold(1, 10, "BER", 1, 2),
            sold(1, 20, "HAM", 2, 3),
            sold(1, 30, "MUC", 3, 1),
        ];
        let covers = cover(&s, &[(Uuid::from_u128(1), 5)], Uuid::from_u128(20));
        let taken: Vec<(&str, i32)> = covers
            .iter()
            .map(|c| (c.sold_zone_code.as_str(), c.quantity))
            .collect();
        assert_eq!(taken, [("HAM", 3), ("BER", 2)]);
    }

    #[test]
    fn requests_by_sku_are_spread_over_the_lines_and_capped_at_what_is_left() {
        let lines = [line(1, "A", 3), line(2, "B", 2), line(3, "A", 2)];
        let s = [
            sold(1, 10, "BER", 1, 1),
            sold(2, 10, "BER", 2, 2),
            sold(3, 10, "BER", 3, 2),
        ];
        // Two request lines of A add up; line 1 has 1 left, line 3 has 2.
        let w = wanted(&lines, &s, Some(&[(0, sku("A"), 2), (1, sku("A"), 1)])).unwrap();
        assert_eq!(w, [(Uuid::from_u128(1), 1), (Uuid::from_u128(3), 2)]);
        // One more is too many: named on the SKU's first request line.
        let e = wanted(&lines, &s, Some(&[(0, sku("B"), 1), (1, sku("A"), 4)])).unwrap_err();
        assert_eq!(e[0].field, "lines[1].quantity");
        assert!(e[0].message.contains("at most 3 units of A"), "{e:?}");
        // A SKU the order lacks.
        let e = wanted(&lines, &s, Some(&[(0, sku("C"), 1)])).unwrap_err();
        assert_eq!(e[0].field, "lines[0].sku");
        // No lines named: everything still to ship.
        let all = wanted(&lines, &s, None).unwrap();
        assert_eq!(all.iter().map(|(_, q)| q).sum::<i32>(), 5);
    }

    #[test]
    fn every_invalid_field_is_named_at_once() {
        let input = ShipmentInput {
            carrier: " ".into(),
            tracking_number: Some("x".repeat(101)),
            tracking_url: Some("http://tracking.example/1".into()),
            zone: "ber".into(),
            lines: Some(vec![LineInput {
                sku: "A\0".into(),
                quantity: 0,
            }]),
        };
        let Err(errors) = parse(&input) else {
            panic!("parsed")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "carrier",
                "tracking_number",
                "tracking_url",
                "zone",
                "lines[0].sku",
                "lines[0].quantity"
            ]
        );
        let empty = ShipmentInput {
            carrier: "DHL".into(),
            tracking_number: None,
            tracking_url: None,
            zone: "BER".into(),
            lines: Some(Vec::new()),
        };
        assert_eq!(parse(&empty).err().unwrap()[0].field, "lines");
    }
}
