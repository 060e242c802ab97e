//! Catalog SQL. Every function takes the tenant transaction.

use uuid::Uuid;

use crate::db::{DbError, Tx};

pub struct CategoryRow {
    pub code: String,
    pub name: String,
}

pub async fn storefront_categories(tx: &Tx<'_>) -> Result<Vec<CategoryRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/storefront_categories.sql"))
        .await?;
    tx.query(&stmt, &[])
        .await?
        .iter()
        .map(|row| {
            Ok(CategoryRow {
                code: row.try_get("code")?,
                name: row.try_get("name")?,
            })
        })
        .collect()
}

pub async fn upsert_category(tx: &Tx<'_>, code: &str, name: &str) -> Result<Uuid, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/upsert_category.sql"))
        .await?;
    Ok(tx.query_one(&stmt, &[&code, &name]).await?.try_get("id")?)
}
