//! Import semantics: validate everything, then plan, then apply all-or-nothing in one tenant
//! transaction.
//!
//! 1. The file is parsed and every row checked ([`super::format`]); in the brand's transaction
//!    the categories and zones it names are checked too. Any problem: the report lists them
//!    all (line, column, message) and nothing is written.
//! 2. Each row is matched to the brand's product with the same `handle` (another brand's
//!    products are invisible: row-level security). New handles are created; existing products
//!    are compared field by field, and only those that differ are updated, so importing the
//!    same file twice changes nothing (not even `updated_at`, and no audit entry). Changed
//!    option axes regenerate variants with [`variants::plan`]: existing variants keep their
//!    SKUs, missing combinations are added, dropped ones deactivated.
//! 3. A dry run stops here and reports what would change.
//! 4. Otherwise, in the same transaction: product numbers are reserved from the brand's
//!    counter in one statement, then products, variants and initial stock are written in
//!    chunks of set-based statements (`INSERT ... SELECT FROM unnest(...)`); initial stock of
//!    new variants goes through the ledger (`receive` movements next to the new stock rows). One audit entry records the import. Imports of one
//!    brand are serialised by an advisory lock.

use std::collections::HashMap;

use tokio_postgres::types::Json;
use uuid::Uuid;

use super::{
    format::{self, ProductRow, RowError},
    repo::{self, ExistingProduct, ExistingVariant},
};
use crate::{
    audit,
    catalog::{
        self, sku,
        status::ProductStatus,
        translations::ImportedTranslation,
        variants::{self, Axis},
    },
    chat::reply::currency_exponent,
    db::{Db, DbError, Retryable, Tx},
    error::{ConstraintTable, Violation, violated},
    scope::TenantScope,
};

/// Products written per round of set-based statements (progress is reported per round)...
const CHUNK: usize = 1000;
/// ... and at most this many new variants per round, so no single statement runs long
/// (products may have up to 500 variants each).
const CHUNK_VARIANTS: usize = 5000;

/// Examples of each kind of change kept in a summary.
const EXAMPLES: usize = 10;

/// Hears how an import advances. The CLI draws a progress bar; the job writes the counts to
/// `app.imports` from its own transactions.
pub trait Progress: Send + Sync {
    /// Validation starts over `total` records.
    fn validating(&self, _total: u64) {}
    /// `done` records are validated.
    fn validated(&self, _done: u64) {}
    /// Writing starts: `total` products change.
    fn applying(&self, _total: u64) {}
    /// `done` products are written.
    fn applied(&self, _done: u64) {}
}

/// No one is listening.
pub struct NoProgress;

impl Progress for NoProgress {}

use super::report::{Example, Outcome, Report, Summary};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A concurrent change collided with the import (e.g. a product created with the same
    /// handle meanwhile); running it again will see the new state.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Retryable for ImportError {
    fn is_retryable(&self) -> bool {
        matches!(self, ImportError::Db(e) if e.is_retryable())
    }
}

/// Constraints a concurrent change can make an import violate.
const CONSTRAINTS: &ConstraintTable = &[(
    "products_handle_key",
    Violation::Conflict("a product with one of these handles was created meanwhile; import again"),
)];

fn constraint(e: DbError) -> ImportError {
    match violated(&e, CONSTRAINTS) {
        Some(Violation::Conflict(why) | Violation::Invalid { message: why, .. }) => {
            ImportError::Conflict(why.to_owned())
        }
        None => ImportError::Db(e),
    }
}

/// Options of one import.
pub struct ImportOptions<'a> {
    pub dry_run: bool,
    /// What the audit trail names as the source (the import id, or the CLI's file name).
    pub source: &'a str,
}

/// A new product.
struct Create<'r> {
    row: &'r ProductRow,
    category_id: Uuid,
    axes: Vec<Axis>,
    variants: usize,
}

/// A product whose fields or variants change.
struct Update<'r> {
    row: &'r ProductRow,
    existing: &'r ExistingProduct,
    category_id: Uuid,
    name: String,
    description: String,
    status: ProductStatus,
    /// The new axes, when they change.
    axes_json: Option<Json<Vec<Axis>>>,
    variants: variants::Plan,
}

/// Validates `bytes` and, unless invalid or a dry run, applies it in one tenant transaction.
pub async fn run(
    db: &Db,
    scope: &TenantScope,
    bytes: &[u8],
    options: &ImportOptions<'_>,
    progress: &dyn Progress,
) -> Result<Report, ImportError> {
    let parsed = format::parse(bytes, currency_exponent(&scope.tenant().currency));
    progress.validating(parsed.records);
    let prefix = scope.tenant().sku_prefix.clone();
    db.tenant_tx(scope, async |tx| {
        repo::begin_import(tx).await?;
        let mut errors = parsed.errors.clone();
        let refs = references(tx, &parsed, &mut errors).await?;
        let known = known_products(tx, &parsed).await?;
        progress.validated(parsed.records);

        let mut summary = Summary {
            rows: parsed.records,
            ..Summary::default()
        };
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Ok(Report {
                outcome: Outcome::Invalid,
                summary,
                errors,
            });
        }
        let (creates, updates) = plan(&parsed, &refs.categories, &known, &mut summary);
        if options.dry_run {
            return Ok(Report {
                outcome: Outcome::DryRun,
                summary,
                errors,
            });
        }
        let work = Work {
            prefix: &prefix,
            creates: &creates,
            updates: &updates,
            zones: &refs.zones,
        };
        let done = apply(tx, &work, progress).await?;
        // The translated columns, once every product of the file exists.
        let translated: Vec<ImportedTranslation> = parsed
            .rows
            .iter()
            .flat_map(|row| {
                row.translations.iter().map(|t| ImportedTranslation {
                    handle: row.handle.clone(),
                    locale: t.locale.clone(),
                    name: t.name.clone(),
                    description: t.description.clone(),
                })
            })
            .collect();
        catalog::translations::import_translations(tx, &translated).await?;
        if done > 0 {
            audit::record(
                tx,
                "catalog.import",
                options.source,
                serde_json::json!({
                    "rows": summary.rows,
                    "products_created": summary.products_created,
                    "products_updated": summary.products_updated,
                    "variants_created": summary.variants_created,
                    "variants_reactivated": summary.variants_reactivated,
                    "variants_deactivated": summary.variants_deactivated,
                    "units_received": summary.units_received,
                }),
            )
            .await?;
        }
        Ok(Report {
            outcome: Outcome::Applied,
            summary,
            errors,
        })
    })
    .await
}

/// The brand's categories and the file's zones, by code.
struct References {
    categories: HashMap<String, Uuid>,
    /// Active zones only.
    zones: HashMap<String, Uuid>,
}

/// Finds the categories and zones the file names within the brand; each unknown category and
/// unknown or inactive zone is a problem.
async fn references(
    tx: &Tx<'_>,
    parsed: &format::ParsedFile,
    errors: &mut Vec<RowError>,
) -> Result<References, DbError> {
    let categories: HashMap<String, Uuid> = repo::categories(tx).await?.into_iter().collect();
    for (line, code) in &parsed.categories_named {
        if !categories.contains_key(code) {
            errors.push(RowError {
                line: *line,
                column: Some("category".into()),
                message: format!("{code:?}: no such category in this brand"),
            });
        }
    }
    if !parsed.locales_named.is_empty() {
        let brand = catalog::translations::brand_locales_in(tx).await?;
        for (locale, column) in &parsed.locales_named {
            if let Some(why) = brand.refuses(locale) {
                errors.push(RowError {
                    line: 1,
                    column: Some(column.clone()),
                    message: format!("{locale}: {why}"),
                });
            }
        }
    }
    let zone_rows = repo::zones(tx, &parsed.zones).await?;
    let mut zones: HashMap<String, Uuid> = HashMap::new();
    for code in &parsed.zones {
        match zone_rows.iter().find(|(c, _, _)| c == code) {
            Some((_, id, true)) => {
                zones.insert(code.clone(), *id);
            }
            found => errors.push(RowError {
                line: 1,
                column: Some(format!("stock_{}", code.to_lowercase())),
                message: if found.is_some() {
                    format!("zone {code} is inactive")
                } else {
                    format!("no such zone {code}")
                },
            }),
        }
    }
    Ok(References { categories, zones })
}

/// The brand's products the file names, and the variants of those whose axes change.
struct Known {
    products: HashMap<String, ExistingProduct>,
    variants_of: HashMap<Uuid, Vec<ExistingVariant>>,
}

async fn known_products(tx: &Tx<'_>, parsed: &format::ParsedFile) -> Result<Known, DbError> {
    let handles: Vec<&str> = parsed.rows.iter().map(|r| r.handle.as_str()).collect();
    let products: HashMap<String, ExistingProduct> = repo::products_by_handle(tx, &handles)
        .await?
        .into_iter()
        .map(|p| (p.handle.clone(), p))
        .collect();
    // Variants matter only where the axes change: a re-import loads none.
    let ids: Vec<Uuid> = parsed
        .rows
        .iter()
        .filter_map(|row| {
            let e = products.get(&row.handle)?;
            row.axes.as_ref().filter(|a| **a != e.axes).map(|_| e.id)
        })
        .collect();
    let mut variants_of: HashMap<Uuid, Vec<ExistingVariant>> = HashMap::new();
    for v in repo::variants_of_products(tx, &ids).await? {
        variants_of.entry(v.product_id).or_default().push(v);
    }
    Ok(Known {
        products,
        variants_of,
    })
}

/// Adds an example of `action` to the summary, up to `EXAMPLES` of each.
fn add_example(summary: &mut Summary, row: &ProductRow, action: &str, changes: Vec<String>) {
    if summary
        .examples
        .iter()
        .filter(|x| x.action == action)
        .count()
        < EXAMPLES
    {
        summary.examples.push(Example {
            line: row.line,
            handle: row.handle.clone(),
            action: action.into(),
            changes,
        });
    }
}

/// What the file would do: products to create and to update, counted in the summary.
fn plan<'r>(
    parsed: &'r format::ParsedFile,
    categories: &HashMap<String, Uuid>,
    known: &'r Known,
    summary: &mut Summary,
) -> (Vec<Create<'r>>, Vec<Update<'r>>) {
    let mut creates: Vec<Create<'_>> = Vec::new();
    let mut updates: Vec<Update<'_>> = Vec::new();
    for row in &parsed.rows {
        let category_id = categories[&row.category];
        let Some(e) = known.products.get(&row.handle) else {
            let axes = row.axes.clone().unwrap_or_default();
            let combos = variants::combinations(&axes);
            summary.products_created += 1;
            summary.variants_created += combos.len() as u64;
            summary.units_received += combos.iter().map(|c| units_for(row, &c.key)).sum::<u64>();
            add_example(summary, row, "create", Vec::new());
            creates.push(Create {
                row,
                category_id,
                axes,
                variants: combos.len(),
            });
            continue;
        };
        match plan_update(row, e, category_id, &known.variants_of, summary) {
            Some(update) => updates.push(update),
            None => summary.products_unchanged += 1,
        }
    }
    (creates, updates)
}

/// What changes in an existing product (`None`: nothing), counted in the summary.
fn plan_update<'r>(
    row: &'r ProductRow,
    e: &'r ExistingProduct,
    category_id: Uuid,
    variants_of: &HashMap<Uuid, Vec<ExistingVariant>>,
    summary: &mut Summary,
) -> Option<Update<'r>> {
    let name = row.name.clone();
    let description = row
        .description
        .clone()
        .unwrap_or_else(|| e.description.clone());
    let status = row.status.unwrap_or(e.status);
    let mut changes: Vec<String> = Vec::new();
    for (changed, field) in [
        (name != e.name, "name"),
        (description != e.description, "description"),
        (status != e.status, "status"),
        (row.price_minor != e.base_price_minor, "price"),
        (category_id != e.category_id, "category"),
    ] {
        if changed {
            changes.push(field.into());
        }
    }
    let mut plan = variants::Plan::default();
    let mut axes_json = None;
    if let Some(axes) = row.axes.as_ref().filter(|a| **a != e.axes) {
        changes.push("options".into());
        axes_json = Some(Json(axes.clone()));
        let current = variants_of.get(&e.id).map(Vec::as_slice).unwrap_or(&[]);
        let as_existing: Vec<variants::Existing> = current
            .iter()
            .map(|v| variants::Existing {
                id: v.id,
                key: v.option_key.clone(),
                sku: v.sku.clone(),
                is_active: v.is_active,
            })
            .collect();
        plan = variants::plan(&e.sku_stem, axes, &as_existing);
        // Only positions that actually move are written.
        plan.positions.retain(|(id, position)| {
            current
                .iter()
                .any(|v| v.id == *id && v.position != *position)
        });
        summary.variants_created += plan.insert.len() as u64;
        summary.variants_reactivated += plan.activate.len() as u64;
        summary.variants_deactivated += plan.deactivate.len() as u64;
        summary.units_received += plan
            .insert
            .iter()
            .map(|v| units_for(row, &v.key))
            .sum::<u64>();
    }
    if changes.is_empty() {
        return None;
    }
    summary.products_updated += 1;
    add_example(summary, row, "update", changes);
    Some(Update {
        row,
        existing: e,
        category_id,
        name,
        description,
        status,
        axes_json,
        variants: plan,
    })
}

/// The planned writes of an import.
struct Work<'w, 'r> {
    prefix: &'w str,
    creates: &'w [Create<'r>],
    updates: &'w [Update<'r>],
    zones: &'w HashMap<String, Uuid>,
}

/// Writes the plan in rounds, reporting progress; returns the number of products written.
async fn apply(
    tx: &Tx<'_>,
    work: &Work<'_, '_>,
    progress: &dyn Progress,
) -> Result<u64, ImportError> {
    progress.applying((work.creates.len() + work.updates.len()) as u64);
    let mut done = 0u64;
    if !work.creates.is_empty() {
        let count = i32::try_from(work.creates.len())
            .map_err(|_| ImportError::Conflict("too many products in one file".into()))?;
        let first = repo::reserve_numbers(tx, count).await?;
        for chunk in rounds(work.creates, |c| c.variants) {
            apply_creates(tx, work.prefix, first + done as i32, chunk, work.zones).await?;
            done += chunk.len() as u64;
            progress.applied(done);
        }
    }
    for chunk in rounds(work.updates, |u| u.variants.insert.len()) {
        apply_updates(tx, chunk, work.zones).await?;
        done += chunk.len() as u64;
        progress.applied(done);
    }
    Ok(done)
}

/// Splits `items` into rounds of at most `CHUNK` items and (unless one item alone exceeds it)
/// `CHUNK_VARIANTS` new variants.
fn rounds<T>(items: &[T], variants: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut weight) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let w = variants(item);
        if i > start && (i - start == CHUNK || weight + w > CHUNK_VARIANTS) {
            out.push(&items[start..i]);
            (start, weight) = (i, 0);
        }
        weight += w;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// Units of initial stock (all zones) for the new variant with combination `key`.
fn units_for(row: &ProductRow, key: &str) -> u64 {
    row.stock
        .iter()
        .map(|(_, cell)| cell.units_for(key).max(0) as u64)
        .sum()
}

/// Initial stock for new variants, through the ledger: new stock rows and their `receive`
/// movements.
struct Receipts {
    wanted: Vec<(String, Uuid, i32)>,
}

impl Receipts {
    fn new() -> Self {
        Self { wanted: Vec::new() }
    }

    fn add(&mut self, row: &ProductRow, sku: &str, key: &str, zones: &HashMap<String, Uuid>) {
        for (zone, cell) in &row.stock {
            let units = cell.units_for(key);
            if units > 0 {
                self.wanted.push((sku.to_owned(), zones[zone], units));
            }
        }
    }

    async fn receive(self, tx: &Tx<'_>, ids: &HashMap<String, Uuid>) -> Result<(), DbError> {
        let mut variants = Vec::with_capacity(self.wanted.len());
        let mut zones = Vec::with_capacity(self.wanted.len());
        let mut units = Vec::with_capacity(self.wanted.len());
        for (sku, zone, n) in &self.wanted {
            variants.push(ids[sku]);
            zones.push(*zone);
            units.push(*n);
        }
        repo::opening_stock(tx, &variants, &zones, &units).await
    }
}

fn push_variants(into: &mut repo::NewVariants, product_id: Uuid, new: &[variants::NewVariant]) {
    for v in new {
        into.product_ids.push(product_id);
        into.skus.push(v.sku.clone());
        into.keys.push(v.key.clone());
        into.options.push(Json(v.options.clone()));
        into.positions.push(v.position);
    }
}

async fn apply_creates(
    tx: &Tx<'_>,
    prefix: &str,
    first_number: i32,
    chunk: &[Create<'_>],
    zones: &HashMap<String, Uuid>,
) -> Result<(), ImportError> {
    let mut products = repo::NewProducts::default();
    let mut plans = Vec::with_capacity(chunk.len());
    for (i, c) in chunk.iter().enumerate() {
        let number = first_number + i as i32;
        let stem = sku::stem(prefix, &c.row.category, number);
        plans.push(variants::plan(&stem, &c.axes, &[]));
        products.numbers.push(number);
        products.handles.push(c.row.handle.clone());
        products.category_ids.push(c.category_id);
        products.stems.push(stem);
        products.names.push(c.row.name.clone());
        products
            .descriptions
            .push(c.row.description.clone().unwrap_or_default());
        products
            .statuses
            .push(c.row.status.unwrap_or(ProductStatus::Draft));
        products.prices.push(c.row.price_minor);
        products.axes.push(Json(c.axes.clone()));
    }
    let ids: HashMap<i32, Uuid> = repo::insert_products(tx, &products)
        .await
        .map_err(constraint)?
        .into_iter()
        .collect();
    let mut new_variants = repo::NewVariants::default();
    let mut receipts = Receipts::new();
    for ((c, plan), number) in chunk.iter().zip(&plans).zip(&products.numbers) {
        push_variants(&mut new_variants, ids[number], &plan.insert);
        for v in &plan.insert {
            receipts.add(c.row, &v.sku, &v.key, zones);
        }
    }
    let sku_ids: HashMap<String, Uuid> = repo::insert_variants(tx, &new_variants)
        .await?
        .into_iter()
        .collect();
    receipts.receive(tx, &sku_ids).await?;
    Ok(())
}

async fn apply_updates(
    tx: &Tx<'_>,
    chunk: &[Update<'_>],
    zones: &HashMap<String, Uuid>,
) -> Result<(), ImportError> {
    let mut changes = repo::ProductChanges::default();
    let mut new_variants = repo::NewVariants::default();
    let mut receipts = Receipts::new();
    let (mut activate, mut deactivate, mut positions) = (Vec::new(), Vec::new(), Vec::new());
    for u in chunk {
        changes.ids.push(u.existing.id);
        changes.category_ids.push(u.category_id);
        changes.names.push(u.name.clone());
        changes.descriptions.push(u.description.clone());
        changes.statuses.push(u.status);
        changes.prices.push(u.row.price_minor);
        changes.axes.push(u.axes_json.clone());
        push_variants(&mut new_variants, u.existing.id, &u.variants.insert);
        for v in &u.variants.insert {
            receipts.add(u.row, &v.sku, &v.key, zones);
        }
        activate.extend_from_slice(&u.variants.activate);
        deactivate.extend_from_slice(&u.variants.deactivate);
        positions.extend_from_slice(&u.variants.positions);
    }
    repo::update_products(tx, &changes).await?;
    let sku_ids: HashMap<String, Uuid> = repo::insert_variants(tx, &new_variants)
        .await?
        .into_iter()
        .collect();
    catalog::repo::set_variants_active(tx, &activate, true).await?;
    catalog::repo::set_variants_active(tx, &deactivate, false).await?;
    catalog::repo::set_variant_positions(tx, &positions).await?;
    receipts.receive(tx, &sku_ids).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_are_bounded_by_products_and_new_variants() {
        let lens = |items: &[usize]| -> Vec<usize> {
            rounds(items, |w| *w).iter().map(|r| r.len()).collect()
        };
        assert_eq!(lens(&[1; 2500]), [1000, 1000, 500]);
        assert_eq!(lens(&[500; 25]), [10, 10, 5]);
        assert_eq!(lens(&[6000, 1, 4999, 1]), [1, 2, 1]);
        assert!(lens(&[]).is_empty());
    }
}
