//! The storefront's catalog reads: categories, the product list (cursor-paginated, filterable,
//! searchable) and product detail, served through the brand's cache.
//!
//! Product documents are JSON assembled by PostgreSQL from the pre-rendered documents
//! (sql/V35__storefront_documents.sql) and each variant's availability, and sent as they are.
//! With files in S3 their media URLs are presigned first, through the [`StorefrontDocument`]
//! the HTTP layer declares for them, and the presigned document is what the cache keeps.

use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

pub use super::repo::CategoryName;
use super::{
    repo,
    service::{CatalogError, Cursor},
};
use crate::{
    cache::{Cache, CatalogEntry},
    db::{Db, DbError, Tx},
    error::{ApiError, DomainError},
    media::{
        MediaStore,
        service::{MediaError, public_url},
    },
    scope::TenantScope,
    types::ZoneCode,
};

/// Why a storefront read failed.
#[derive(Debug, thiserror::Error)]
pub enum StorefrontError {
    /// The catalog's own errors: no such product (404), no such zone (422), the database.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A media URL could not be presigned.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// A document that did not round-trip through its declared shape (a bug): 500.
    #[error("storefront document: {0}")]
    Document(#[from] serde_json::Error),
}

impl From<DbError> for StorefrontError {
    fn from(e: DbError) -> Self {
        StorefrontError::Catalog(DomainError::Db(e))
    }
}

impl From<StorefrontError> for ApiError {
    fn from(e: StorefrontError) -> Self {
        match e {
            StorefrontError::Catalog(e) => e.into(),
            StorefrontError::Media(e) => e.into(),
            StorefrontError::Document(e) => ApiError::internal(e),
        }
    }
}

/// A storefront document (one product, or a page of them) in the shape the HTTP layer
/// declares: what presigning needs to find each image's URL.
pub trait StorefrontDocument: Serialize + DeserializeOwned + Send {
    /// Every image of the document in display order: its product's number, its name, and its
    /// URL, to be replaced.
    fn media_urls(&mut self) -> Vec<(i32, &str, &mut String)>;
}

/// One page of the product list, as parsed at the edge.
#[derive(Debug, Clone, Copy)]
pub struct PageQuery<'a> {
    /// The cursor as the client sent it (part of the cache key).
    pub cursor: Option<&'a str>,
    /// The same, decoded: the last number (and rank, for searches) of the previous page.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: u32,
    /// A category code.
    pub category: Option<&'a str>,
    /// Search text, trimmed and not empty.
    pub search: Option<&'a str>,
    /// A zone code: variants then also report their availability there.
    pub zone: Option<&'a str>,
    /// The negotiated locale (one of the brand's): text in it, falling back per field.
    pub locale: &'a str,
}

/// The brand's product categories, ordered by code, named in `locale` where translated.
pub async fn categories(
    db: &Db,
    scope: &TenantScope,
    locale: &str,
) -> Result<Vec<CategoryName>, CatalogError> {
    Ok(db
        .tenant_read(scope, || {
            async |tx| repo::storefront_categories(tx, locale).await
        })
        .await?)
}

/// A page of active products as a JSON document of shape `D`, from the cache or from
/// PostgreSQL (then cached).
pub async fn products_page<D: StorefrontDocument>(
    db: &Db,
    cache: &Cache,
    store: &MediaStore,
    scope: &TenantScope,
    q: &PageQuery<'_>,
) -> Result<String, StorefrontError> {
    let entry = CatalogEntry::List {
        category: q.category,
        search: q.search,
        cursor: q.cursor,
        limit: q.limit,
        zone: q.zone,
        locale: q.locale,
    };
    cache
        .catalog_fetch(scope, &entry, || page_from_db::<D>(db, store, scope, q))
        .await
}

/// A page of active products read from PostgreSQL.
async fn page_from_db<D: StorefrontDocument>(
    db: &Db,
    store: &MediaStore,
    scope: &TenantScope,
    q: &PageQuery<'_>,
) -> Result<String, StorefrontError> {
    let query = repo::StorefrontQuery {
        after_number: q.after.map_or(0, |c| c.number),
        after_rank: q.after.and_then(|c| c.rank),
        category: q.category,
        search: q.search,
        limit: i64::from(q.limit) + 1,
        currency: &scope.tenant().currency,
        zone: None,
        locale: q.locale,
    };
    let mut rows = db
        .tenant_read(scope, || {
            async |tx| {
                let zone = zone_id(tx, q.zone).await?;
                Ok::<_, StorefrontError>(
                    repo::storefront_page(tx, &repo::StorefrontQuery { zone, ..query }).await?,
                )
            }
        })
        .await?;
    let limit = q.limit as usize;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = more.then(|| rows.last()).flatten().map(|last| {
        Cursor {
            number: last.number,
            rank: last.rank,
        }
        .encode()
    });
    let mut page = page_json(&rows, next_cursor);
    if store.presigns() {
        page = presign::<D>(store, scope, &page).await?;
    }
    Ok(page)
}

/// One active product as a JSON document of shape `D`, from the cache or from PostgreSQL (then
/// cached).
pub async fn product<D: StorefrontDocument>(
    db: &Db,
    cache: &Cache,
    store: &MediaStore,
    scope: &TenantScope,
    number: i32,
    zone: Option<&str>,
    locale: &str,
) -> Result<String, StorefrontError> {
    let entry = CatalogEntry::Product {
        number,
        zone,
        locale,
    };
    cache
        .catalog_fetch(scope, &entry, || async {
            let row = db
                .tenant_read(scope, || {
                    async |tx| {
                        let zone_id = zone_id(tx, zone).await?;
                        Ok::<_, StorefrontError>(
                            repo::storefront_product(
                                tx,
                                number,
                                &scope.tenant().currency,
                                zone_id,
                                locale,
                            )
                            .await?,
                        )
                    }
                })
                .await?
                .ok_or(CatalogError::NotFound("no such product"))?;
            let mut json = row.json;
            if store.presigns() {
                json = presign::<D>(store, scope, &json).await?;
            }
            Ok(json)
        })
        .await
}

/// The id of an active zone named by the `zone` parameter (422 if there is none).
async fn zone_id(tx: &Tx<'_>, code: Option<&str>) -> Result<Option<Uuid>, StorefrontError> {
    let Some(code) = code else {
        return Ok(None);
    };
    // A malformed code names no zone either.
    let id = match ZoneCode::parse(code) {
        Ok(code) => crate::inventory::service::active_zone(tx, code.as_str()).await?,
        Err(_) => None,
    };
    match id {
        Some(id) => Ok(Some(id)),
        None => Err(CatalogError::invalid_field("zone", "no such active zone").into()),
    }
}

/// `{"items": [...], "next_cursor": ...}` from the items' JSON, without re-serialising them.
fn page_json(items: &[repo::StorefrontItem], next_cursor: Option<String>) -> String {
    let mut out = String::with_capacity(items.iter().map(|i| i.json.len() + 1).sum::<usize>() + 64);
    out.push_str("{\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item.json);
    }
    out.push_str("],\"next_cursor\":");
    match next_cursor {
        // Cursors are base64url: no escaping needed.
        Some(c) => {
            out.push('"');
            out.push_str(&c);
            out.push('"');
        }
        None => out.push_str("null"),
    }
    out.push('}');
    out
}

/// Replaces the API media URLs of a storefront document (JSON from PostgreSQL) with presigned
/// ones. Only when files are in S3.
async fn presign<D: StorefrontDocument>(
    store: &MediaStore,
    scope: &TenantScope,
    json: &str,
) -> Result<String, StorefrontError> {
    let mut doc: D = serde_json::from_str(json)?;
    for (number, name, url) in doc.media_urls() {
        *url = public_url(store, scope, number, name).await?;
    }
    Ok(serde_json::to_string(&doc)?)
}
