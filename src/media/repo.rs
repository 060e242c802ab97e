//! Product media SQL. Every function takes the tenant transaction.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::db::{DbError, Tx};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// An image row.
#[derive(Debug, Clone)]
pub struct MediaRow {
    pub name: String,
    pub content_type: String,
    pub size_bytes: i32,
    pub sha256: String,
    pub object_key: String,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn media_from_row(r: &Row) -> Result<MediaRow, DbError> {
    Ok(MediaRow {
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        object_key: r.try_get("object_key")?,
        position: r.try_get("position")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The id of the product with `number`, any status.
pub async fn product_id(tx: &Tx<'_>, number: i32) -> Result<Option<Uuid>, DbError> {
    let stmt = stmt!(tx, "product_for_media.sql");
    Ok(tx
        .query_opt(&stmt, &[tx.tenant(), &number])
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?)
}

pub struct NewMedia<'a> {
    pub product_id: Uuid,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i32,
    pub sha256: &'a str,
    pub object_key: &'a str,
}

pub async fn upsert(tx: &Tx<'_>, m: &NewMedia<'_>) -> Result<MediaRow, DbError> {
    let stmt = stmt!(tx, "upsert_media.sql");
    let row = tx
        .query_one(
            &stmt,
            &[
                tx.tenant(),
                &m.product_id,
                &m.name,
                &m.content_type,
                &m.size_bytes,
                &m.sha256,
                &m.object_key,
            ],
        )
        .await?;
    media_from_row(&row)
}

pub async fn list(tx: &Tx<'_>, product_id: Uuid) -> Result<Vec<MediaRow>, DbError> {
    let stmt = stmt!(tx, "list_media.sql");
    tx.query(&stmt, &[tx.tenant(), &product_id])
        .await?
        .iter()
        .map(media_from_row)
        .collect()
}

/// Deletes an image row; returns its object key if there was one.
pub async fn delete(tx: &Tx<'_>, product_id: Uuid, name: &str) -> Result<Option<String>, DbError> {
    let stmt = stmt!(tx, "delete_media.sql");
    Ok(tx
        .query_opt(&stmt, &[tx.tenant(), &product_id, &name])
        .await?
        .map(|r| r.try_get("object_key"))
        .transpose()?)
}

/// An image the storefront may show.
pub struct PublicMedia {
    pub content_type: String,
    pub sha256: String,
    pub object_key: String,
}

pub async fn storefront_media(
    tx: &Tx<'_>,
    number: i32,
    name: &str,
) -> Result<Option<PublicMedia>, DbError> {
    let stmt = stmt!(tx, "storefront_media.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &number, &name])
        .await?
        .map(|r| {
            Ok(PublicMedia {
                content_type: r.try_get("content_type")?,
                sha256: r.try_get("sha256")?,
                object_key: r.try_get("object_key")?,
            })
        })
        .transpose()
}
