//! Catalog SQL. Every function takes the tenant transaction; the brand is the transaction's.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio_postgres::{Row, types::Json};
use uuid::Uuid;

use super::{
    status::ProductStatus,
    variants::{Axis, NewVariant, OptionValue},
};
use crate::{
    db::{DbError, Tx},
    delivery::TaxClass,
};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// A storefront statement: its own start (the `page` of products) followed by the shared
/// `storefront_item.sql` (each product's stored document and its variants' availability),
/// which binds $1 (the brand), $2 (currency) and $3 (zone) in every statement.
macro_rules! storefront_stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(concat!(
            include_str!(concat!("sql/", $file)),
            include_str!("sql/storefront_item.sql")
        ))
        .await?
    };
}

pub struct CategoryRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub product_count: i64,
}

pub async fn list_categories(tx: &Tx<'_>) -> Result<Vec<CategoryRow>, DbError> {
    let stmt = stmt!(tx, "list_categories.sql");
    tx.query(&stmt, &[tx.tenant()])
        .await?
        .iter()
        .map(|r| {
            Ok(CategoryRow {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                product_count: r.try_get("product_count")?,
            })
        })
        .collect()
}

/// A category's id and name by code.
pub async fn category_by_code(tx: &Tx<'_>, code: &str) -> Result<Option<(Uuid, String)>, DbError> {
    let stmt = stmt!(tx, "category_by_code.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &code])
        .await?
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .transpose()
}

pub async fn insert_category(tx: &Tx<'_>, code: &str, name: &str) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "insert_category.sql");
    Ok(tx
        .query_one(&stmt, &[tx.tenant(), &code, &name])
        .await?
        .try_get(0)?)
}

/// Inserts or renames a category (seeding).
pub async fn upsert_category(tx: &Tx<'_>, code: &str, name: &str) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "upsert_category.sql");
    Ok(tx
        .query_one(&stmt, &[tx.tenant(), &code, &name])
        .await?
        .try_get("id")?)
}

pub async fn update_category(tx: &Tx<'_>, code: &str, name: &str) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "update_category.sql");
    Ok(tx.execute(&stmt, &[tx.tenant(), &code, &name]).await?)
}

pub async fn delete_category(tx: &Tx<'_>, code: &str) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "delete_category.sql");
    Ok(tx.execute(&stmt, &[tx.tenant(), &code]).await?)
}

pub async fn next_product_number(tx: &Tx<'_>) -> Result<i32, DbError> {
    let stmt = stmt!(tx, "next_product_number.sql");
    Ok(tx.query_one(&stmt, &[tx.tenant()]).await?.try_get(0)?)
}

pub struct NewProductRow<'a> {
    pub number: i32,
    pub handle: &'a str,
    pub category_id: Uuid,
    pub sku_stem: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub status: ProductStatus,
    pub base_price_minor: i64,
    pub axes: &'a [Axis],
}

pub async fn insert_product(tx: &Tx<'_>, p: &NewProductRow<'_>) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "insert_product.sql");
    Ok(tx
        .query_one(
            &stmt,
            &[
                tx.tenant(),
                &p.number,
                &p.handle,
                &p.category_id,
                &p.sku_stem,
                &p.name,
                &p.description,
                &p.status,
                &p.base_price_minor,
                &Json(p.axes),
            ],
        )
        .await?
        .try_get(0)?)
}

#[derive(Default)]
pub struct ProductUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<ProductStatus>,
    pub base_price_minor: Option<i64>,
    pub category_id: Option<Uuid>,
    pub axes: Option<Vec<Axis>>,
    pub tax_class: Option<TaxClass>,
}

pub async fn update_product(tx: &Tx<'_>, id: Uuid, u: &ProductUpdate) -> Result<(), DbError> {
    let stmt = stmt!(tx, "update_product.sql");
    tx.execute(
        &stmt,
        &[
            tx.tenant(),
            &id,
            &u.name,
            &u.description,
            &u.status,
            &u.base_price_minor,
            &u.category_id,
            &u.axes.as_ref().map(Json),
            &u.tax_class,
        ],
    )
    .await?;
    Ok(())
}

/// A product as staff see it.
pub struct ProductRow {
    pub id: Uuid,
    pub number: i32,
    pub handle: String,
    pub sku_stem: String,
    pub name: String,
    pub description: String,
    pub status: ProductStatus,
    pub base_price_minor: i64,
    pub axes: Vec<Axis>,
    pub tax_class: TaxClass,
    pub category_code: String,
    pub category_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn product_from_row(r: &Row) -> Result<ProductRow, DbError> {
    Ok(ProductRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        handle: r.try_get("handle")?,
        sku_stem: r.try_get("sku_stem")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        status: r.try_get("status")?,
        base_price_minor: r.try_get("base_price_minor")?,
        // Written by this code from validated axes: JSON that does not read back is corruption,
        // an error (500, logged), never an empty list that would regenerate the variants.
        axes: r.try_get::<_, Json<Vec<Axis>>>("axes")?.0,
        tax_class: r.try_get("tax_class")?,
        category_code: r.try_get("category_code")?,
        category_name: r.try_get("category_name")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn product_by_number(tx: &Tx<'_>, number: i32) -> Result<Option<ProductRow>, DbError> {
    let stmt = stmt!(tx, "product_by_number.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &number])
        .await?
        .as_ref()
        .map(product_from_row)
        .transpose()
}

pub async fn list_products_admin(
    tx: &Tx<'_>,
    after_number: i32,
    status: Option<ProductStatus>,
    category: Option<&str>,
    limit: i64,
) -> Result<Vec<ProductRow>, DbError> {
    let stmt = stmt!(tx, "list_products_admin.sql");
    tx.query(
        &stmt,
        &[tx.tenant(), &after_number, &status, &category, &limit],
    )
    .await?
    .iter()
    .map(product_from_row)
    .collect()
}

pub struct VariantRow {
    pub id: Uuid,
    pub sku: String,
    pub option_key: String,
    pub options: Vec<OptionValue>,
    pub price_override_minor: Option<i64>,
    pub reorder_threshold: i32,
    pub is_active: bool,
    pub position: i32,
    /// The shipping weight, when the brand set one.
    pub weight_grams: Option<i32>,
}

fn variant_from_row(r: &Row) -> Result<VariantRow, DbError> {
    Ok(VariantRow {
        id: r.try_get("id")?,
        sku: r.try_get("sku")?,
        option_key: r.try_get("option_key")?,
        // Corrupt JSON is an error, as for a product's axes.
        options: r.try_get::<_, Json<Vec<OptionValue>>>("options")?.0,
        price_override_minor: r.try_get("price_override_minor")?,
        reorder_threshold: r.try_get("reorder_threshold")?,
        is_active: r.try_get("is_active")?,
        position: r.try_get("position")?,
        weight_grams: r.try_get("weight_grams")?,
    })
}

pub async fn variants_of_product(
    tx: &Tx<'_>,
    product_id: Uuid,
) -> Result<Vec<VariantRow>, DbError> {
    let stmt = stmt!(tx, "variants_of_product.sql");
    tx.query(&stmt, &[tx.tenant(), &product_id])
        .await?
        .iter()
        .map(variant_from_row)
        .collect()
}

/// Inserts all of a product's new variants in one set-based statement.
pub async fn insert_variants(
    tx: &Tx<'_>,
    product_id: Uuid,
    variants: &[NewVariant],
) -> Result<(), DbError> {
    if variants.is_empty() {
        return Ok(());
    }
    let stmt = stmt!(tx, "insert_variants.sql");
    let skus: Vec<&str> = variants.iter().map(|v| v.sku.as_str()).collect();
    let keys: Vec<&str> = variants.iter().map(|v| v.key.as_str()).collect();
    let options: Vec<Json<&[OptionValue]>> = variants
        .iter()
        .map(|v| Json(v.options.as_slice()))
        .collect();
    let positions: Vec<i32> = variants.iter().map(|v| v.position).collect();
    tx.execute(
        &stmt,
        &[tx.tenant(), &product_id, &skus, &keys, &options, &positions],
    )
    .await?;
    Ok(())
}

pub async fn set_variants_active(tx: &Tx<'_>, ids: &[Uuid], active: bool) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = stmt!(tx, "set_variants_active.sql");
    tx.execute(&stmt, &[tx.tenant(), &ids, &active]).await?;
    Ok(())
}

pub async fn set_variant_positions(tx: &Tx<'_>, positions: &[(Uuid, i32)]) -> Result<(), DbError> {
    if positions.is_empty() {
        return Ok(());
    }
    let stmt = stmt!(tx, "set_variant_positions.sql");
    let ids: Vec<Uuid> = positions.iter().map(|p| p.0).collect();
    let pos: Vec<i32> = positions.iter().map(|p| p.1).collect();
    tx.execute(&stmt, &[tx.tenant(), &ids, &pos]).await?;
    Ok(())
}

pub struct VariantPatch {
    /// `Some(None)` clears the override.
    pub price_override_minor: Option<Option<i64>>,
    pub reorder_threshold: Option<i32>,
    pub is_active: Option<bool>,
    /// `Some(None)` clears the weight.
    pub weight_grams: Option<Option<i32>>,
}

pub async fn patch_variant(tx: &Tx<'_>, sku: &str, p: &VariantPatch) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "patch_variant.sql");
    let set_price = p.price_override_minor.is_some();
    let price = p.price_override_minor.flatten();
    let set_weight = p.weight_grams.is_some();
    let weight = p.weight_grams.flatten();
    Ok(tx
        .execute(
            &stmt,
            &[
                tx.tenant(),
                &sku,
                &set_price,
                &price,
                &p.reorder_threshold,
                &p.is_active,
                &set_weight,
                &weight,
            ],
        )
        .await?)
}

pub struct SkuRow {
    pub variant: VariantRow,
    pub product_number: i32,
    pub product_name: String,
    pub product_status: ProductStatus,
    pub base_price_minor: i64,
    pub category_code: String,
}

pub async fn variant_by_sku(tx: &Tx<'_>, sku: &str) -> Result<Option<SkuRow>, DbError> {
    let stmt = stmt!(tx, "variant_by_sku.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &sku])
        .await?
        .map(|r| {
            Ok(SkuRow {
                variant: variant_from_row(&r)?,
                product_number: r.try_get("number")?,
                product_name: r.try_get("product_name")?,
                product_status: r.try_get("product_status")?,
                base_price_minor: r.try_get("base_price_minor")?,
                category_code: r.try_get("category_code")?,
            })
        })
        .transpose()
}

/// A storefront product row: its position for the cursor and its `StorefrontProduct` JSON.
pub struct StorefrontItem {
    pub number: i32,
    pub rank: Option<f32>,
    pub json: String,
}

/// The products of a storefront statement's rows (`storefront_item.sql`: one row per product
/// with its document's pieces, one with the page's availability figures), in the statement's
/// order: each product's JSON is its head, its active variants' fragments each closed with the
/// variant's figures (`available` over all zones; `available_in_zone` in `zone`, or null when
/// none was asked), and its tail. Public for the test that compares these bytes with the
/// statements that built the JSON in PostgreSQL.
pub fn storefront_items(rows: &[Row], zone: Option<Uuid>) -> Result<Vec<StorefrontItem>, DbError> {
    use std::fmt::Write as _;
    // The statement's columns by position: kind, ord, number, rank, head, variant_ids,
    // variants, tail, all_zones, in_zone. A change of order fails the typed reads below and the
    // byte-for-byte comparison in tests/api/documents.rs.
    let (kind, ord, number, rank, head, variant_ids, variants, tail) = (0, 1, 2, 3, 4, 5, 6, 7);
    let (all_zones, in_zone) = (8, 9);
    // The page's figures arrive as arrays in one row (some 2,000 variants a page). Keyed by a
    // UUID from our own database: a fast hash, sized once to them.
    let mut figures: HashMap<Uuid, (Option<i64>, Option<i64>), foldhash::fast::RandomState> =
        HashMap::default();
    let mut products = Vec::with_capacity(rows.len());
    for r in rows {
        if r.try_get::<_, i32>(kind)? == 1 {
            // Arrays of one length; NULL when the page has no variant with a figure, and
            // `in_zone` NULL when no zone was asked for.
            let ids: Vec<Uuid> = r.try_get::<_, Option<_>>(variant_ids)?.unwrap_or_default();
            let all: Vec<Option<i64>> = r.try_get::<_, Option<_>>(all_zones)?.unwrap_or_default();
            let zone: Vec<Option<i64>> = r.try_get::<_, Option<_>>(in_zone)?.unwrap_or_default();
            figures.reserve(ids.len());
            for (i, id) in ids.into_iter().enumerate() {
                let at = |v: &[Option<i64>]| v.get(i).copied().flatten();
                figures.insert(id, (at(&all), at(&zone)));
            }
        } else {
            products.push((r.try_get::<_, i32>(ord)?, r));
        }
    }
    products.sort_unstable_by_key(|(ord, _)| *ord);
    products
        .into_iter()
        .map(|(_, r)| {
            let head: &str = r.try_get(head)?;
            let ids: Vec<Uuid> = r.try_get(variant_ids)?;
            let fragments: Vec<&str> = r.try_get(variants)?;
            let tail: &str = r.try_get(tail)?;
            let mut json = String::with_capacity(
                head.len() + tail.len() + fragments.iter().map(|f| f.len() + 64).sum::<usize>(),
            );
            json.push_str(head);
            for (i, (id, fragment)) in ids.iter().zip(&fragments).enumerate() {
                let (all, in_zone) = figures.get(id).copied().unwrap_or_default();
                if i > 0 {
                    json.push_str(", ");
                }
                json.push_str(fragment);
                // Writing to a String cannot fail.
                let _ = write!(
                    json,
                    ", \"available\" : {}, \"available_in_zone\" : ",
                    all.unwrap_or(0)
                );
                match zone {
                    None => json.push_str("null"),
                    Some(_) => {
                        let _ = write!(json, "{}", in_zone.unwrap_or(0));
                    }
                }
                json.push('}');
            }
            json.push_str(tail);
            Ok(StorefrontItem {
                number: r.try_get(number)?,
                rank: r.try_get(rank)?,
                json,
            })
        })
        .collect()
}

/// A page of the storefront list: by number after `after`, or by relevance for a search.
pub struct StorefrontQuery<'a> {
    pub after_number: i32,
    pub after_rank: Option<f32>,
    pub category: Option<&'a str>,
    pub search: Option<&'a str>,
    pub limit: i64,
    pub currency: &'a str,
    /// Also report availability in this zone.
    pub zone: Option<Uuid>,
    /// The negotiated locale (a canonical BCP 47 tag): names, descriptions and labels in it.
    pub locale: &'a str,
}

pub async fn storefront_page(
    tx: &Tx<'_>,
    q: &StorefrontQuery<'_>,
) -> Result<Vec<StorefrontItem>, DbError> {
    let rows = match q.search {
        None => {
            let stmt = storefront_stmt!(tx, "storefront_list.sql");
            tx.query(
                &stmt,
                &[
                    tx.tenant(),
                    &q.currency,
                    &q.zone,
                    &q.after_number,
                    &q.category,
                    &q.limit,
                    &q.locale,
                ],
            )
            .await?
        }
        Some(search) => {
            let stmt = storefront_stmt!(tx, "storefront_search.sql");
            let pattern = format!("%{}%", crate::db::escape_like(search));
            // `champús` must find `champú`: PostgreSQL's Spanish stemmer keeps the plural `s`
            // of words ending in a stressed vowel, so the singular spelling is searched too.
            let singular = crate::search::sparse::singular_words(search, q.locale);
            tx.query(
                &stmt,
                &[
                    tx.tenant(),
                    &q.currency,
                    &q.zone,
                    &q.after_number,
                    &q.category,
                    &search,
                    &pattern,
                    &q.after_rank,
                    &q.limit,
                    &q.locale,
                    &singular,
                ],
            )
            .await?
        }
    };
    storefront_items(&rows, q.zone)
}

pub async fn storefront_product(
    tx: &Tx<'_>,
    number: i32,
    currency: &str,
    zone: Option<Uuid>,
    locale: &str,
) -> Result<Option<StorefrontItem>, DbError> {
    let stmt = storefront_stmt!(tx, "storefront_product.sql");
    let rows = tx
        .query(&stmt, &[tx.tenant(), &currency, &zone, &number, &locale])
        .await?;
    Ok(storefront_items(&rows, zone)?.into_iter().next())
}

pub struct CategoryName {
    pub code: String,
    pub name: String,
}

/// The brand's categories for storefront navigation, named in `locale` where translated (the
/// concurrency test reads this for three brands at once over shared connections).
pub async fn storefront_categories(
    tx: &Tx<'_>,
    locale: &str,
) -> Result<Vec<CategoryName>, DbError> {
    let stmt = stmt!(tx, "storefront_categories.sql");
    tx.query(&stmt, &[tx.tenant(), &locale])
        .await?
        .iter()
        .map(|row| {
            Ok(CategoryName {
                code: row.try_get("code")?,
                name: row.try_get("name")?,
            })
        })
        .collect()
}

pub async fn product_number_by_handle(tx: &Tx<'_>, handle: &str) -> Result<Option<i32>, DbError> {
    let stmt = stmt!(tx, "product_number_by_handle.sql");
    Ok(tx
        .query_opt(&stmt, &[tx.tenant(), &handle])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}
