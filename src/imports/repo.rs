//! Import SQL. Every function takes the tenant transaction; bulk writes are single set-based
//! statements over arrays (`INSERT ... SELECT FROM unnest(...)`), never COPY (refused on tables
//! with row-level security) and never one statement per row.

use chrono::{DateTime, Utc};
use tokio_postgres::types::Json;
use uuid::Uuid;

use crate::{
    catalog::{
        status::ProductStatus,
        variants::{Axis, OptionValue},
    },
    db::{DbError, Tx},
};

use super::{format::RowError, report::Summary, state::ImportState};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// Serialises the brand's imports and plans every statement of this transaction afresh.
pub async fn begin_import(tx: &Tx<'_>) -> Result<(), DbError> {
    tx.batch_execute(include_str!("sql/generic_plans.sql"))
        .await?;
    let stmt = stmt!(tx, "lock_brand_imports.sql");
    tx.execute(&stmt, &[]).await?;
    Ok(())
}

/// The brand's categories: (code, id).
pub async fn categories(tx: &Tx<'_>) -> Result<Vec<(String, Uuid)>, DbError> {
    let stmt = stmt!(tx, "categories.sql");
    tx.query(&stmt, &[tx.tenant()])
        .await?
        .iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("id")?)))
        .collect()
}

/// Zones by code: (code, id, is_active).
pub async fn zones(tx: &Tx<'_>, codes: &[String]) -> Result<Vec<(String, Uuid, bool)>, DbError> {
    let stmt = stmt!(tx, "zones.sql");
    tx.query(&stmt, &[&codes])
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("code")?,
                r.try_get("id")?,
                r.try_get("is_active")?,
            ))
        })
        .collect()
}

/// A product the file names that exists already.
#[derive(Debug, Clone)]
pub struct ExistingProduct {
    pub id: Uuid,
    pub number: i32,
    pub handle: String,
    pub sku_stem: String,
    pub name: String,
    pub description: String,
    pub status: ProductStatus,
    pub base_price_minor: i64,
    pub axes: Vec<Axis>,
    pub category_id: Uuid,
}

pub async fn products_by_handle(
    tx: &Tx<'_>,
    handles: &[&str],
) -> Result<Vec<ExistingProduct>, DbError> {
    let stmt = stmt!(tx, "products_by_handle.sql");
    tx.query(&stmt, &[tx.tenant(), &handles])
        .await?
        .iter()
        .map(|r| {
            Ok(ExistingProduct {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                handle: r.try_get("handle")?,
                sku_stem: r.try_get("sku_stem")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                status: r.try_get("status")?,
                base_price_minor: r.try_get("base_price_minor")?,
                // Written by this code from validated axes: JSON that does not read back is
                // corruption, an error, never an empty list that would rewrite the variants.
                axes: r.try_get::<_, Json<Vec<Axis>>>("axes")?.0,
                category_id: r.try_get("category_id")?,
            })
        })
        .collect()
}

/// A variant of a product the file names.
#[derive(Debug, Clone)]
pub struct ExistingVariant {
    pub product_id: Uuid,
    pub id: Uuid,
    pub sku: String,
    pub option_key: String,
    pub is_active: bool,
    pub position: i32,
}

pub async fn variants_of_products(
    tx: &Tx<'_>,
    product_ids: &[Uuid],
) -> Result<Vec<ExistingVariant>, DbError> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = stmt!(tx, "variants_of_products.sql");
    tx.query(&stmt, &[tx.tenant(), &product_ids])
        .await?
        .iter()
        .map(|r| {
            Ok(ExistingVariant {
                product_id: r.try_get("product_id")?,
                id: r.try_get("id")?,
                sku: r.try_get("sku")?,
                option_key: r.try_get("option_key")?,
                is_active: r.try_get("is_active")?,
                position: r.try_get("position")?,
            })
        })
        .collect()
}

/// Reserves `n` product numbers; returns the first.
pub async fn reserve_numbers(tx: &Tx<'_>, n: i32) -> Result<i32, DbError> {
    let stmt = stmt!(tx, "reserve_numbers.sql");
    let last: i32 = tx.query_one(&stmt, &[tx.tenant(), &n]).await?.try_get(0)?;
    Ok(last - n + 1)
}

/// Columns of new products, one entry per product.
#[derive(Default)]
pub struct NewProducts {
    pub numbers: Vec<i32>,
    pub handles: Vec<String>,
    pub category_ids: Vec<Uuid>,
    pub stems: Vec<String>,
    pub names: Vec<String>,
    pub descriptions: Vec<String>,
    pub statuses: Vec<ProductStatus>,
    pub prices: Vec<i64>,
    pub axes: Vec<Json<Vec<Axis>>>,
}

/// Inserts products; returns (number, id) pairs.
pub async fn insert_products(tx: &Tx<'_>, p: &NewProducts) -> Result<Vec<(i32, Uuid)>, DbError> {
    if p.numbers.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = stmt!(tx, "insert_products.sql");
    tx.query(
        &stmt,
        &[
            tx.tenant(),
            &p.numbers,
            &p.handles,
            &p.category_ids,
            &p.stems,
            &p.names,
            &p.descriptions,
            &p.statuses,
            &p.prices,
            &p.axes,
        ],
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get("number")?, r.try_get("id")?)))
    .collect()
}

/// Columns of changed products.
#[derive(Default)]
pub struct ProductChanges {
    pub ids: Vec<Uuid>,
    pub category_ids: Vec<Uuid>,
    pub names: Vec<String>,
    pub descriptions: Vec<String>,
    pub statuses: Vec<ProductStatus>,
    pub prices: Vec<i64>,
    /// `None` keeps the product's axes.
    pub axes: Vec<Option<Json<Vec<Axis>>>>,
}

pub async fn update_products(tx: &Tx<'_>, c: &ProductChanges) -> Result<u64, DbError> {
    if c.ids.is_empty() {
        return Ok(0);
    }
    let stmt = stmt!(tx, "update_products.sql");
    Ok(tx
        .execute(
            &stmt,
            &[
                tx.tenant(),
                &c.ids,
                &c.category_ids,
                &c.names,
                &c.descriptions,
                &c.statuses,
                &c.prices,
                &c.axes,
            ],
        )
        .await?)
}

/// Columns of new variants of any number of products.
#[derive(Default)]
pub struct NewVariants {
    pub product_ids: Vec<Uuid>,
    pub skus: Vec<String>,
    pub keys: Vec<String>,
    pub options: Vec<Json<Vec<OptionValue>>>,
    pub positions: Vec<i32>,
}

/// Inserts variants; returns (sku, id) pairs.
pub async fn insert_variants(tx: &Tx<'_>, v: &NewVariants) -> Result<Vec<(String, Uuid)>, DbError> {
    if v.skus.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = stmt!(tx, "insert_variants.sql");
    tx.query(
        &stmt,
        &[
            tx.tenant(),
            &v.product_ids,
            &v.skus,
            &v.keys,
            &v.options,
            &v.positions,
        ],
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get("sku")?, r.try_get("id")?)))
    .collect()
}

/// Opening stock for new variants: the stock rows with their units and their `receive`
/// ledger entries, two set-based statements. (variant, zone) pairs must be new and distinct.
pub async fn opening_stock(
    tx: &Tx<'_>,
    variants: &[Uuid],
    zones: &[Uuid],
    units: &[i32],
) -> Result<(), DbError> {
    if variants.is_empty() {
        return Ok(());
    }
    let stmt = stmt!(tx, "opening_stock.sql");
    tx.execute(&stmt, &[tx.tenant(), &variants, &zones, &units])
        .await?;
    let stmt = stmt!(tx, "opening_movements.sql");
    tx.execute(&stmt, &[tx.tenant(), &variants, &zones, &units])
        .await?;
    Ok(())
}

/// An import record.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub id: Uuid,
    pub file_name: String,
    pub object_key: String,
    pub size_bytes: i64,
    pub dry_run: bool,
    pub state: ImportState,
    pub rows_total: i32,
    pub rows_validated: i32,
    pub rows_applied: i32,
    pub summary: serde_json::Value,
    pub errors: serde_json::Value,
    pub error_count: i32,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub struct NewImport<'a> {
    pub id: Uuid,
    pub file_name: &'a str,
    pub object_key: &'a str,
    pub size_bytes: i64,
    pub dry_run: bool,
}

/// Records a new import (queued); returns its creation time.
pub async fn insert_import(tx: &Tx<'_>, i: &NewImport<'_>) -> Result<DateTime<Utc>, DbError> {
    let stmt = stmt!(tx, "insert_import.sql");
    Ok(tx
        .query_one(
            &stmt,
            &[
                tx.tenant(),
                &i.id,
                &i.file_name,
                &i.object_key,
                &i.size_bytes,
                &i.dry_run,
            ],
        )
        .await?
        .try_get("created_at")?)
}

pub async fn import_by_id(tx: &Tx<'_>, id: Uuid) -> Result<Option<ImportRecord>, DbError> {
    let stmt = stmt!(tx, "import_by_id.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &id])
        .await?
        .map(|r| {
            Ok(ImportRecord {
                id: r.try_get("id")?,
                file_name: r.try_get("file_name")?,
                object_key: r.try_get("object_key")?,
                size_bytes: r.try_get("size_bytes")?,
                dry_run: r.try_get("dry_run")?,
                state: r.try_get("state")?,
                rows_total: r.try_get("rows_total")?,
                rows_validated: r.try_get("rows_validated")?,
                rows_applied: r.try_get("rows_applied")?,
                summary: r.try_get("summary")?,
                errors: r.try_get("errors")?,
                error_count: r.try_get("error_count")?,
                failure: r.try_get("failure")?,
                created_at: r.try_get("created_at")?,
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
            })
        })
        .transpose()
}

/// Progress counters of a running import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub total: i32,
    pub validated: i32,
    pub applied: i32,
}

pub async fn set_progress(
    tx: &Tx<'_>,
    id: Uuid,
    state: ImportState,
    c: Counters,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "set_progress.sql");
    tx.execute(
        &stmt,
        &[tx.tenant(), &id, &state, &c.total, &c.validated, &c.applied],
    )
    .await?;
    Ok(())
}

pub struct Finish<'a> {
    pub state: ImportState,
    pub counters: Counters,
    /// `None` (an import that failed before it could be read) is stored as `{}`.
    pub summary: Option<&'a Summary>,
    /// The first problems of the file, as many as are kept.
    pub errors: &'a [RowError],
    pub error_count: i32,
    pub failure: Option<&'a str>,
}

pub async fn finish_import(tx: &Tx<'_>, id: Uuid, f: &Finish<'_>) -> Result<(), DbError> {
    let stmt = stmt!(tx, "finish_import.sql");
    tx.execute(
        &stmt,
        &[
            tx.tenant(),
            &id,
            &f.state,
            &f.counters.total,
            &f.counters.validated,
            &f.counters.applied,
            &f.summary.map(Json),
            &Json(f.errors),
            &f.error_count,
            &f.failure,
        ],
    )
    .await?;
    Ok(())
}
