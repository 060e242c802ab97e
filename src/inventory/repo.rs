//! Inventory SQL other than the engine's: zones (global), stock views and the ledger.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::movement::MovementKind;
use crate::db::{DbError, Tx};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

#[derive(Debug, Clone)]
pub struct ZoneRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub city: String,
    pub region: String,
    pub priority: i32,
    pub is_active: bool,
}

fn zone_from_row(r: &Row) -> Result<ZoneRow, DbError> {
    Ok(ZoneRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        city: r.try_get("city")?,
        region: r.try_get("region")?,
        priority: r.try_get("priority")?,
        is_active: r.try_get("is_active")?,
    })
}

pub async fn zone_by_code(tx: &Tx<'_>, code: &str) -> Result<Option<ZoneRow>, DbError> {
    let stmt = stmt!(tx, "zone_by_code.sql");
    tx.query_opt(&stmt, &[&code])
        .await?
        .as_ref()
        .map(zone_from_row)
        .transpose()
}

pub async fn list_zones(tx: &Tx<'_>) -> Result<Vec<ZoneRow>, DbError> {
    let stmt = stmt!(tx, "list_zones.sql");
    tx.query(&stmt, &[])
        .await?
        .iter()
        .map(zone_from_row)
        .collect()
}

pub struct NewZone<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub city: &'a str,
    pub region: &'a str,
    pub priority: i32,
    pub is_active: bool,
}

pub async fn insert_zone(tx: &Tx<'_>, z: &NewZone<'_>) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "insert_zone.sql");
    Ok(tx
        .query_one(
            &stmt,
            &[
                &z.code,
                &z.name,
                &z.city,
                &z.region,
                &z.priority,
                &z.is_active,
            ],
        )
        .await?
        .try_get(0)?)
}

#[derive(Default)]
pub struct ZoneUpdate {
    pub name: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub priority: Option<i32>,
    pub is_active: Option<bool>,
}

pub async fn update_zone(tx: &Tx<'_>, code: &str, u: &ZoneUpdate) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "update_zone.sql");
    Ok(tx
        .execute(
            &stmt,
            &[
                &code,
                &u.name,
                &u.city,
                &u.region,
                &u.priority,
                &u.is_active,
            ],
        )
        .await?)
}

pub async fn ensure_stock_row(tx: &Tx<'_>, variant_id: Uuid, zone_id: Uuid) -> Result<(), DbError> {
    let stmt = stmt!(tx, "ensure_stock_row.sql");
    tx.execute(&stmt, &[tx.tenant(), &variant_id, &zone_id])
        .await?;
    Ok(())
}

pub struct StockRowView {
    pub sku: String,
    pub zone_code: String,
    pub on_hand: i32,
    pub reserved: i32,
    pub available: i64,
    pub updated_at: DateTime<Utc>,
}

pub async fn stock_list(
    tx: &Tx<'_>,
    zone: Option<&str>,
    sku: Option<&str>,
    limit: i64,
) -> Result<Vec<StockRowView>, DbError> {
    let stmt = stmt!(tx, "stock_list.sql");
    tx.query(&stmt, &[tx.tenant(), &zone, &sku, &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(StockRowView {
                sku: r.try_get("sku")?,
                zone_code: r.try_get("zone_code")?,
                on_hand: r.try_get("on_hand")?,
                reserved: r.try_get("reserved")?,
                available: r.try_get("available")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

pub struct LowStockRow {
    pub sku: String,
    pub product_name: String,
    pub reorder_threshold: i32,
    pub available: i64,
}

pub async fn low_stock(tx: &Tx<'_>, limit: i64) -> Result<Vec<LowStockRow>, DbError> {
    let stmt = stmt!(tx, "low_stock.sql");
    tx.query(&stmt, &[tx.tenant(), &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(LowStockRow {
                sku: r.try_get("sku")?,
                product_name: r.try_get("product_name")?,
                reorder_threshold: r.try_get("reorder_threshold")?,
                available: r.try_get("available")?,
            })
        })
        .collect()
}

pub struct MovementRow {
    pub id: i64,
    pub zone_code: String,
    pub kind: MovementKind,
    pub on_hand_delta: i32,
    pub reserved_delta: i32,
    pub reason: Option<String>,
    pub order_number: Option<i32>,
    pub user_id: Option<Uuid>,
    pub role: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn movements_for_sku(
    tx: &Tx<'_>,
    sku: &str,
    limit: i64,
) -> Result<Vec<MovementRow>, DbError> {
    let stmt = stmt!(tx, "movements_for_sku.sql");
    tx.query(&stmt, &[tx.tenant(), &sku, &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(MovementRow {
                id: r.try_get("id")?,
                zone_code: r.try_get("zone_code")?,
                kind: r.try_get("kind")?,
                on_hand_delta: r.try_get("on_hand_delta")?,
                reserved_delta: r.try_get("reserved_delta")?,
                reason: r.try_get("reason")?,
                order_number: r.try_get("order_number")?,
                user_id: r.try_get("user_id")?,
                role: r.try_get("role")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// Stock rows the ledger does not explain: (sku, zone, on_hand, reserved, ledger on_hand,
/// ledger reserved). Empty when the books balance.
pub async fn ledger_mismatches(
    tx: &Tx<'_>,
) -> Result<Vec<(String, String, i32, i32, i64, i64)>, DbError> {
    let stmt = stmt!(tx, "ledger_check.sql");
    tx.query(&stmt, &[tx.tenant()])
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("sku")?,
                r.try_get("zone_code")?,
                r.try_get("on_hand")?,
                r.try_get("reserved")?,
                r.try_get("ledger_on_hand")?,
                r.try_get("ledger_reserved")?,
            ))
        })
        .collect()
}
