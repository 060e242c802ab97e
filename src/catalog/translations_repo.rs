//! Translation SQL: the brand's locales, product and category text per locale. Every function
//! takes the tenant transaction; the brand is the transaction's.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tokio_postgres::types::Json;
use uuid::Uuid;

use crate::db::{DbError, Tx};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// The brand's locales as stored (canonical tags); `None`: never set.
pub async fn brand_locales(tx: &Tx<'_>) -> Result<Option<(Vec<String>, String)>, DbError> {
    let stmt = stmt!(tx, "brand_locales.sql");
    tx.query_opt(&stmt, &[tx.tenant()])
        .await?
        .map(|r| Ok((r.try_get("locales")?, r.try_get("default_locale")?)))
        .transpose()
}

pub async fn upsert_brand_locales(
    tx: &Tx<'_>,
    locales: &[&str],
    default: &str,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "upsert_brand_locales.sql");
    tx.execute(&stmt, &[tx.tenant(), &locales, &default])
        .await?;
    Ok(())
}

/// A product's text in one locale, as stored.
pub struct ProductTranslationRow {
    pub locale: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub option_labels: BTreeMap<String, String>,
    pub updated_at: DateTime<Utc>,
}

pub async fn product_translations(
    tx: &Tx<'_>,
    number: i32,
) -> Result<Vec<ProductTranslationRow>, DbError> {
    let stmt = stmt!(tx, "product_translations.sql");
    tx.query(&stmt, &[tx.tenant(), &number])
        .await?
        .iter()
        .map(|r| {
            let labels: Json<BTreeMap<String, String>> = r.try_get("option_labels")?;
            Ok(ProductTranslationRow {
                locale: r.try_get("locale")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                option_labels: labels.0,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// Writes one translation: the product's id and the time; `None`: no product has that number.
pub async fn upsert_product_translation(
    tx: &Tx<'_>,
    number: i32,
    locale: &str,
    name: Option<&str>,
    description: Option<&str>,
    option_labels: &BTreeMap<String, String>,
) -> Result<Option<(Uuid, DateTime<Utc>)>, DbError> {
    let stmt = stmt!(tx, "upsert_product_translation.sql");
    tx.query_opt(
        &stmt,
        &[
            tx.tenant(),
            &number,
            &locale,
            &name,
            &description,
            &Json(option_labels),
        ],
    )
    .await?
    .map(|r| Ok((r.try_get("product_id")?, r.try_get("updated_at")?)))
    .transpose()
}

/// Removes one translation; how many rows went (0 or 1).
pub async fn delete_product_translation(
    tx: &Tx<'_>,
    number: i32,
    locale: &str,
) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "delete_product_translation.sql");
    Ok(tx.execute(&stmt, &[tx.tenant(), &number, &locale]).await?)
}

/// A category's name in one locale, as stored.
pub struct CategoryTranslationRow {
    pub locale: String,
    pub name: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn category_translations(
    tx: &Tx<'_>,
    code: &str,
) -> Result<Vec<CategoryTranslationRow>, DbError> {
    let stmt = stmt!(tx, "category_translations.sql");
    tx.query(&stmt, &[tx.tenant(), &code])
        .await?
        .iter()
        .map(|r| {
            Ok(CategoryTranslationRow {
                locale: r.try_get("locale")?,
                name: r.try_get("name")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// Writes one category name; `None`: no category has that code.
pub async fn upsert_category_translation(
    tx: &Tx<'_>,
    code: &str,
    locale: &str,
    name: &str,
) -> Result<Option<DateTime<Utc>>, DbError> {
    let stmt = stmt!(tx, "upsert_category_translation.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &code, &locale, &name])
        .await?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(Into::into)
}

/// One translated row of a CSV import: a product handle, a locale, and the fields it sets.
pub struct ImportedTranslation {
    pub handle: String,
    pub locale: String,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Writes an import's translations in one set-based statement.
pub async fn import_translations(
    tx: &Tx<'_>,
    rows: &[ImportedTranslation],
) -> Result<u64, DbError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let stmt = stmt!(tx, "import_translations.sql");
    let handles: Vec<&str> = rows.iter().map(|r| r.handle.as_str()).collect();
    let locales: Vec<&str> = rows.iter().map(|r| r.locale.as_str()).collect();
    let names: Vec<Option<&str>> = rows.iter().map(|r| r.name.as_deref()).collect();
    let descriptions: Vec<Option<&str>> = rows.iter().map(|r| r.description.as_deref()).collect();
    Ok(tx
        .execute(
            &stmt,
            &[tx.tenant(), &handles, &locales, &names, &descriptions],
        )
        .await?)
}
