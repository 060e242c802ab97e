//! The reservation engine: the few operations every stock change is built from, all inside
//! the caller's tenant transaction.
//!
//! 1. [`lock_rows`] locks the stock rows involved, in the global order (variant, zone);
//! 2. [`release_expired`] ends expired holds on those rows, so they never block anyone;
//! 3. [`allocate`] decides, in memory, where units come from (preferred zone first, then
//!    active zones by priority and code), or reports each SKU's shortage;
//! 4. [`apply`] writes the stock changes and their ledger rows, set-based. The table's checks
//!    (`0 <= reserved <= on_hand`) would refuse an oversell even if the arithmetic were wrong.

use std::collections::HashMap;

use uuid::Uuid;

use super::movement::MovementKind;
use crate::db::{DbError, Tx};

/// A locked stock row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedRow {
    pub variant_id: Uuid,
    pub zone_id: Uuid,
    pub zone_code: String,
    pub priority: i32,
    pub zone_active: bool,
    pub on_hand: i32,
    pub reserved: i32,
}

impl LockedRow {
    pub fn available(&self) -> i32 {
        self.on_hand - self.reserved
    }
}

/// One change of one stock row, and its ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub variant_id: Uuid,
    pub zone_id: Uuid,
    pub kind: MovementKind,
    pub on_hand: i32,
    pub reserved: i32,
    pub reason: Option<String>,
    pub order_id: Option<Uuid>,
    pub hold_id: Option<Uuid>,
}

/// Locks the stock rows of `variants` (every zone) in the global lock order.
pub async fn lock_rows(tx: &Tx<'_>, variants: &[Uuid]) -> Result<Vec<LockedRow>, DbError> {
    let mut ids = variants.to_vec();
    ids.sort();
    ids.dedup();
    let stmt = tx.prepare_cached(include_str!("sql/lock_rows.sql")).await?;
    locked_rows(&tx.query(&stmt, &[tx.tenant(), &ids]).await?)
}

/// [`lock_rows`] for the variants of `skus` (the brand's; an unknown SKU locks nothing), for
/// a caller that sends it with the lookup of those SKUs, before it knows their ids.
pub async fn lock_rows_by_sku(tx: &Tx<'_>, skus: &[String]) -> Result<Vec<LockedRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/lock_rows_by_sku.sql"))
        .await?;
    locked_rows(&tx.query(&stmt, &[tx.tenant(), &skus]).await?)
}

fn locked_rows(rows: &[tokio_postgres::Row]) -> Result<Vec<LockedRow>, DbError> {
    rows.iter()
        .map(|r| {
            Ok(LockedRow {
                variant_id: r.try_get("variant_id")?,
                zone_id: r.try_get("zone_id")?,
                zone_code: r.try_get("zone_code")?,
                priority: r.try_get("priority")?,
                zone_active: r.try_get("zone_active")?,
                on_hand: r.try_get("on_hand")?,
                reserved: r.try_get("reserved")?,
            })
        })
        .collect()
}

/// Makes sure the stock row of `variant` in `zone` exists (units coming back to a zone the
/// variant never had stock in), before [`lock_rows`] locks it.
pub async fn ensure_row(tx: &Tx<'_>, variant: Uuid, zone: Uuid) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/ensure_stock_row.sql"))
        .await?;
    tx.execute(&stmt, &[tx.tenant(), &variant, &zone]).await?;
    Ok(())
}

/// An expired hold that was just ended.
#[derive(Debug, Clone)]
pub struct Ended {
    pub hold_id: Uuid,
    pub order_id: Uuid,
    pub variant_id: Uuid,
    pub zone_id: Uuid,
    pub quantity: i32,
}

/// Ends the expired holds on `variants`' rows (which the caller has locked), frees their units
/// in `rows`, and returns the ledger deltas to apply.
pub async fn release_expired(
    tx: &Tx<'_>,
    variants: &[Uuid],
    rows: &mut [LockedRow],
) -> Result<Vec<Delta>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/release_expired.sql"))
        .await?;
    let ended = ended_holds(&tx.query(&stmt, &[tx.tenant(), &variants]).await?)?;
    Ok(free(ended, rows))
}

/// [`release_expired`] for the variants of `skus`, sent right after [`lock_rows_by_sku`] in
/// the same round trip: returns the holds it ended, for [`free`] once the rows are read.
pub async fn release_expired_by_sku(tx: &Tx<'_>, skus: &[String]) -> Result<Vec<Ended>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/release_expired_by_sku.sql"))
        .await?;
    ended_holds(&tx.query(&stmt, &[tx.tenant(), &skus]).await?)
}

fn ended_holds(rows: &[tokio_postgres::Row]) -> Result<Vec<Ended>, DbError> {
    rows.iter()
        .map(|r| {
            Ok(Ended {
                hold_id: r.try_get("id")?,
                order_id: r.try_get("order_id")?,
                variant_id: r.try_get("variant_id")?,
                zone_id: r.try_get("zone_id")?,
                quantity: r.try_get("quantity")?,
            })
        })
        .collect()
}

/// Frees the units of the `ended` holds in `rows` and returns the ledger deltas to apply.
pub fn free(ended: Vec<Ended>, rows: &mut [LockedRow]) -> Vec<Delta> {
    let mut deltas = Vec::with_capacity(ended.len());
    for e in ended {
        if let Some(row) = rows
            .iter_mut()
            .find(|r| r.variant_id == e.variant_id && r.zone_id == e.zone_id)
        {
            row.reserved -= e.quantity;
        }
        deltas.push(Delta {
            variant_id: e.variant_id,
            zone_id: e.zone_id,
            kind: MovementKind::Expire,
            on_hand: 0,
            reserved: -e.quantity,
            reason: Some("hold expired".into()),
            order_id: Some(e.order_id),
            hold_id: Some(e.hold_id),
        });
    }
    deltas
}

/// What one order line asks for.
#[derive(Debug, Clone)]
pub struct Demand {
    pub line: usize,
    pub variant_id: Uuid,
    pub quantity: i32,
}

/// Units of one line taken from one stock row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub line: usize,
    pub variant_id: Uuid,
    pub zone_id: Uuid,
    pub quantity: i32,
}

/// A variant that cannot be served: all its lines together ask for `requested`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    pub variant_id: Uuid,
    pub requested: i64,
    pub available: i64,
}

/// Allocates every demand or none. Zones: the preferred one first, then active zones by
/// priority (lower first) and code; inactive zones never. A line may be split across zones;
/// several lines of one variant draw on the same rows (the in-memory counts see each other).
/// On success `rows` hold the new reserved counts.
pub fn allocate(
    demands: &[Demand],
    rows: &mut [LockedRow],
    preferred_zone: Option<Uuid>,
) -> Result<Vec<Allocation>, Vec<Shortage>> {
    let mut available_before: HashMap<Uuid, i64> = HashMap::new();
    let mut requested: HashMap<Uuid, i64> = HashMap::new();
    for d in demands {
        *requested.entry(d.variant_id).or_default() += i64::from(d.quantity);
    }
    for r in rows.iter().filter(|r| r.zone_active) {
        *available_before.entry(r.variant_id).or_default() += i64::from(r.available().max(0));
    }
    let mut order: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].zone_active).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&rows[a], &rows[b]);
        let pa = Some(ra.zone_id) != preferred_zone;
        let pb = Some(rb.zone_id) != preferred_zone;
        (pa, ra.priority, &ra.zone_code).cmp(&(pb, rb.priority, &rb.zone_code))
    });

    let mut out = Vec::new();
    let mut short: Vec<Uuid> = Vec::new();
    for d in demands {
        let mut remaining = d.quantity;
        for &i in &order {
            if remaining == 0 {
                break;
            }
            let row = &mut rows[i];
            if row.variant_id != d.variant_id {
                continue;
            }
            let take = row.available().min(remaining);
            if take > 0 {
                row.reserved += take;
                remaining -= take;
                out.push(Allocation {
                    line: d.line,
                    variant_id: d.variant_id,
                    zone_id: row.zone_id,
                    quantity: take,
                });
            }
        }
        if remaining > 0 && !short.contains(&d.variant_id) {
            short.push(d.variant_id);
        }
    }
    if short.is_empty() {
        Ok(out)
    } else {
        // Undo the in-memory reservations: the caller's transaction will roll back anyway,
        // but the rows stay truthful for whoever looks next.
        for a in &out {
            if let Some(row) = rows
                .iter_mut()
                .find(|r| r.variant_id == a.variant_id && r.zone_id == a.zone_id)
            {
                row.reserved -= a.quantity;
            }
        }
        Err(short
            .into_iter()
            .map(|v| Shortage {
                variant_id: v,
                requested: requested.get(&v).copied().unwrap_or(0),
                available: available_before.get(&v).copied().unwrap_or(0),
            })
            .collect())
    }
}

/// Writes stock changes and their ledger rows: two set-based statements.
pub async fn apply(tx: &Tx<'_>, deltas: &[Delta]) -> Result<(), DbError> {
    if deltas.is_empty() {
        return Ok(());
    }
    let variants: Vec<Uuid> = deltas.iter().map(|d| d.variant_id).collect();
    let before = threshold_levels(tx, &variants).await?;
    let zones: Vec<Uuid> = deltas.iter().map(|d| d.zone_id).collect();
    let on_hand: Vec<i32> = deltas.iter().map(|d| d.on_hand).collect();
    let reserved: Vec<i32> = deltas.iter().map(|d| d.reserved).collect();
    let stmt = tx
        .prepare_cached(include_str!("sql/apply_deltas.sql"))
        .await?;
    tx.execute(
        &stmt,
        &[tx.tenant(), &variants, &zones, &on_hand, &reserved],
    )
    .await?;
    let kinds: Vec<MovementKind> = deltas.iter().map(|d| d.kind).collect();
    let reasons: Vec<Option<&str>> = deltas.iter().map(|d| d.reason.as_deref()).collect();
    let orders: Vec<Option<Uuid>> = deltas.iter().map(|d| d.order_id).collect();
    let holds: Vec<Option<Uuid>> = deltas.iter().map(|d| d.hold_id).collect();
    let stmt = tx
        .prepare_cached(include_str!("sql/insert_movements.sql"))
        .await?;
    tx.execute(
        &stmt,
        &[
            tx.tenant(),
            &variants,
            &zones,
            &kinds,
            &on_hand,
            &reserved,
            &reasons,
            &orders,
            &holds,
        ],
    )
    .await?;
    if !before.is_empty() {
        let after = threshold_levels(tx, &variants).await?;
        record_low_stock(tx, &before, &after).await?;
    }
    Ok(())
}

/// A variant with a reorder threshold and its available units.
#[derive(Debug, Clone)]
pub struct Level {
    pub variant_id: Uuid,
    pub sku: String,
    pub threshold: i32,
    pub available: i64,
}

async fn threshold_levels(tx: &Tx<'_>, variants: &[Uuid]) -> Result<Vec<Level>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/threshold_levels.sql"))
        .await?;
    levels(&tx.query(&stmt, &[tx.tenant(), &variants]).await?)
}

/// The variants of `skus` that have a reorder threshold, with their available units now (read
/// under the caller's row locks, before its change: the `before` of [`record_low_stock`]).
pub async fn threshold_levels_by_sku(tx: &Tx<'_>, skus: &[String]) -> Result<Vec<Level>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/threshold_levels_by_sku.sql"))
        .await?;
    levels(&tx.query(&stmt, &[tx.tenant(), &skus]).await?)
}

fn levels(rows: &[tokio_postgres::Row]) -> Result<Vec<Level>, DbError> {
    rows.iter()
        .map(|r| {
            Ok(Level {
                variant_id: r.try_get("id")?,
                sku: r.try_get("sku")?,
                threshold: r.try_get("reorder_threshold")?,
                available: r.try_get("available")?,
            })
        })
        .collect()
}

/// `stock.low` for each variant whose available units crossed below its reorder threshold in
/// this change (at or above before, below after): once per crossing, not on every sale below.
pub async fn record_low_stock(
    tx: &Tx<'_>,
    before: &[Level],
    after: &[Level],
) -> Result<(), DbError> {
    for a in after {
        let crossed = before
            .iter()
            .find(|b| b.variant_id == a.variant_id)
            .is_some_and(|b| b.available >= i64::from(b.threshold))
            && a.available < i64::from(a.threshold);
        if crossed {
            crate::events::record(
                tx,
                crate::events::EventType::StockLow,
                &a.sku,
                serde_json::json!({
                    "variant_id": a.variant_id,
                    "sku": a.sku,
                    "available": a.available,
                    "reorder_threshold": a.threshold,
                }),
                None,
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        variant: Uuid,
        zone: u128,
        code: &str,
        priority: i32,
        on_hand: i32,
        reserved: i32,
    ) -> LockedRow {
        LockedRow {
            variant_id: variant,
            zone_id: Uuid::from_u128(zone),
            zone_code: code.into(),
            priority,
            zone_active: true,
            on_hand,
            reserved,
        }
    }

    #[test]
    fn preferred_zone_first_then_priority_and_a_line_may_split() {
        let v = Uuid::from_u128(1);
        let mut rows = vec![
            row(v, 1, "BER", 10, 5, 0),
            row(v, 2, "HAM", 20, 5, 0),
            row(v, 3, "MUC", 5, 2, 0),
        ];
        let out = allocate(
            &[Demand {
                line: 0,
                variant_id: v,
                quantity: 8,
            }],
            &mut rows,
            Some(Uuid::from_u128(2)),
        )
        .unwrap();
        let taken: Vec<(u128, i32)> = out
            .iter()
            .map(|a| (a.zone_id.as_u128(), a.quantity))
            .collect();
        assert_eq!(taken, [(2, 5), (3, 2), (1, 1)]);
        assert_eq!(
            rows.iter().map(|r| r.reserved).collect::<Vec<_>>(),
            [1, 5, 2]
        );
    }

    #[test]
    fn two_lines_sharing_one_row_cannot_both_take_the_last_unit() {
        let v = Uuid::from_u128(1);
        let mut rows = vec![row(v, 1, "BER", 10, 3, 1)];
        let demands = [
            Demand {
                line: 0,
                variant_id: v,
                quantity: 1,
            },
            Demand {
                line: 1,
                variant_id: v,
                quantity: 2,
            },
        ];
        let short = allocate(&demands, &mut rows, None).unwrap_err();
        assert_eq!(
            short,
            [Shortage {
                variant_id: v,
                requested: 3,
                available: 2
            }]
        );
        assert_eq!(
            rows[0].reserved, 1,
            "nothing kept after a failed allocation"
        );
    }

    #[test]
    fn inactive_zones_are_skipped_and_all_or_nothing_holds() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut closed = row(a, 1, "OLD", 1, 100, 0);
        closed.zone_active = false;
        let mut rows = vec![
            closed,
            row(a, 2, "BER", 10, 1, 0),
            row(b, 2, "BER", 10, 0, 0),
        ];
        let demands = [
            Demand {
                line: 0,
                variant_id: a,
                quantity: 1,
            },
            Demand {
                line: 1,
                variant_id: b,
                quantity: 1,
            },
        ];
        let short = allocate(&demands, &mut rows, None).unwrap_err();
        assert_eq!(
            short,
            [Shortage {
                variant_id: b,
                requested: 1,
                available: 0
            }]
        );
        assert!(rows.iter().all(|r| r.reserved == 0));
    }
}
