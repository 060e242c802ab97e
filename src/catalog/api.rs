//! Storefront catalog endpoints: categories, the product list (cursor-paginated, filterable,
//! searchable) and product detail, served through the brand's cache.

use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};

use super::{repo, service::Cursor, variants::OptionValue};
use crate::{
    api::ApiTags,
    cache::{CatalogEntry, Lookup},
    error::ApiError,
    media::MediaStore,
    payload::RawJson,
    scope::TenantScope,
    tenants::Storefront,
};

/// A product category.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(rename = "Category")]
pub struct Category {
    /// Short uppercase code, part of every SKU in the category (`HAIR`).
    pub code: String,
    pub name: String,
}

/// A purchasable variant as the storefront shows it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(rename = "StorefrontVariant")]
pub struct StorefrontVariant {
    pub sku: String,
    /// The variant's option values in axis order, e.g. Colour = Black, Size = 250 ml.
    pub options: Vec<OptionValue>,
    /// Price in the brand currency's minor units (cents; whole yen for JPY).
    pub price_minor: i64,
    /// Units that can be ordered now, all active zones (on hand minus unexpired holds; may lag
    /// by up to `CACHE_TTL_SECS`: checkout is the authority).
    pub available: i64,
    /// The same in the zone of the `zone` parameter; null without it.
    pub available_in_zone: Option<i64>,
}

/// An image of a product.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(rename = "StorefrontMedia")]
pub struct StorefrontMedia {
    /// The image's file name (`hero.webp`).
    pub name: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// Where to load it. With files stored locally: `/v1/storefront/media/{number}/{name}`,
    /// served by this API with `ETag` and `Cache-Control` (on the brand's own domain, or with
    /// `X-Tenant-ID`). With files in S3: a presigned URL, valid for `MEDIA_URL_TTL_SECS`.
    pub url: String,
}

/// An active product with its active variants.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(rename = "StorefrontProduct")]
pub struct StorefrontProduct {
    /// The brand's product number (`42` in SKU `FBX-HAIR-0042-...`); use it for the detail.
    pub number: i32,
    pub handle: String,
    pub name: String,
    pub description: String,
    pub category: Category,
    /// ISO 4217 code of every price in this product.
    pub currency: String,
    /// The base price, in minor units; variants may differ.
    pub price_minor: i64,
    pub variants: Vec<StorefrontVariant>,
    /// The product's images in display order (the first is the main one).
    pub media: Vec<StorefrontMedia>,
}

/// One page of products.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(rename = "StorefrontProductPage")]
pub struct ProductPage {
    pub items: Vec<StorefrontProduct>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
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

/// The id of an active zone named by the `zone` parameter (422 if there is none).
async fn zone_id(
    tx: &crate::db::Tx<'_>,
    code: Option<&str>,
) -> Result<Option<uuid::Uuid>, ApiError> {
    match code {
        None => Ok(None),
        // A malformed code names no zone either.
        Some(code) => match match crate::types::ZoneCode::parse(code) {
            Ok(code) => crate::inventory::service::active_zone(tx, code.as_str()).await?,
            Err(_) => None,
        } {
            Some(id) => Ok(Some(id)),
            None => Err(ApiError::invalid_field("zone", "no such active zone")),
        },
    }
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct CatalogApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// The brand-keyed storefront cache (invalidated after catalog and stock writes).
    pub cache: crate::cache::Cache,
    /// Brand-keyed object storage.
    pub media: crate::media::MediaStore,
}

#[OpenApi]
impl CatalogApi {
    /// The brand's product categories, ordered by code, for storefront navigation.
    ///
    /// Anonymous. The brand comes from `X-Tenant-ID` or the `Host` header.
    #[oai(
        path = "/v1/storefront/categories",
        method = "get",
        operation_id = "listStorefrontCategories",
        tag = "ApiTags::Storefront"
    )]
    async fn storefront_categories(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
    ) -> Result<Json<Vec<Category>>, ApiError> {
        let rows = self
            .db
            .tenant_tx(&brand.0, async |tx| {
                repo::storefront_categories(tx)
                    .await
                    .map_err(ApiError::from)
            })
            .await?;
        Ok(Json(
            rows.into_iter()
                .map(|r| Category {
                    code: r.code,
                    name: r.name,
                })
                .collect(),
        ))
    }

    /// Active products with their active variants and prices, a page at a time.
    ///
    /// Without `q`, products come in product-number order: pages never repeat or skip a
    /// product, even while products are being added (new ones appear at the end). With `q`,
    /// products matching the words (full-text on name and description, any language) or
    /// containing the text in their name come by relevance. `category` filters by category
    /// code. Anonymous; cached per brand.
    #[oai(
        path = "/v1/storefront/products",
        method = "get",
        operation_id = "listStorefrontProducts",
        tag = "ApiTags::Storefront"
    )]
    async fn list_products(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// A category code, e.g. `HAIR`.
        category: Query<Option<String>>,
        /// Search text.
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        /// A zone code: variants then also report `available_in_zone`.
        zone: Query<Option<String>>,
    ) -> Result<RawJson<ProductPage>, ApiError> {
        let scope = brand.0;
        let limit = limit.0.unwrap_or(20);
        let search = q.0.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let after = match cursor.0.as_deref() {
            None => None,
            Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
                ApiError::bad_request("cursor: not a cursor returned by this endpoint")
            })?),
        };
        if after.is_some_and(|c| c.rank.is_some() != search.is_some()) {
            return Err(ApiError::bad_request(
                "cursor: belongs to a different query",
            ));
        }
        let entry = CatalogEntry::List {
            category: category.0.as_deref(),
            search,
            cursor: cursor.0.as_deref(),
            limit,
            zone: zone.0.as_deref(),
        };
        let version = match self.cache.catalog_get(&scope, &entry).await {
            Lookup::Hit(page) => return Ok(RawJson::new(page)),
            Lookup::Miss { version } => version,
        };
        let query = repo::StorefrontQuery {
            after_number: after.map_or(0, |c| c.number),
            after_rank: after.and_then(|c| c.rank),
            category: category.0.as_deref(),
            search,
            limit: i64::from(limit) + 1,
            currency: &scope.tenant().currency,
            zone: None,
        };
        let mut rows = self
            .db
            .tenant_tx(&scope, async |tx| {
                let zone_id = zone_id(tx, zone.0.as_deref()).await?;
                repo::storefront_page(
                    tx,
                    &repo::StorefrontQuery {
                        zone: zone_id,
                        ..query
                    },
                )
                .await
                .map_err(ApiError::from)
            })
            .await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = more.then(|| rows.last()).flatten().map(|last| {
            Cursor {
                number: last.number,
                rank: last.rank,
            }
            .encode()
        });
        let mut page = page_json(&rows, next_cursor);
        if self.media.presigns() {
            page = presign_page(&self.media, &scope, &page).await?;
        }
        self.cache.catalog_put(&scope, version, &entry, &page);
        Ok(RawJson::new(page))
    }

    /// One active product with its active variants and prices. Anonymous; cached per brand.
    #[oai(
        path = "/v1/storefront/products/:number",
        method = "get",
        operation_id = "getStorefrontProduct",
        tag = "ApiTags::Storefront"
    )]
    async fn get_product(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        /// The product number.
        number: Path<i32>,
        /// A zone code: variants then also report `available_in_zone`.
        zone: Query<Option<String>>,
    ) -> Result<RawJson<StorefrontProduct>, ApiError> {
        let scope = brand.0;
        let entry = CatalogEntry::Product {
            number: number.0,
            zone: zone.0.as_deref(),
        };
        let version = match self.cache.catalog_get(&scope, &entry).await {
            Lookup::Hit(p) => return Ok(RawJson::new(p)),
            Lookup::Miss { version } => version,
        };
        let row = self
            .db
            .tenant_tx(&scope, async |tx| {
                let zone_id = zone_id(tx, zone.0.as_deref()).await?;
                repo::storefront_product(tx, number.0, &scope.tenant().currency, zone_id)
                    .await
                    .map_err(ApiError::from)
            })
            .await?
            .ok_or_else(|| ApiError::not_found("no such product"))?;
        let mut json = row.json;
        if self.media.presigns() {
            json = presign_product(&self.media, &scope, &json).await?;
        }
        self.cache.catalog_put(&scope, version, &entry, &json);
        Ok(RawJson::new(json))
    }
}

/// Replaces the API media URLs of a storefront product (JSON from PostgreSQL) with presigned
/// ones. Only when files are in S3.
async fn presign_product(
    store: &MediaStore,
    scope: &TenantScope,
    json: &str,
) -> Result<String, ApiError> {
    let mut product: StorefrontProduct = serde_json::from_str(json).map_err(ApiError::internal)?;
    presign(store, scope, &mut product).await?;
    serde_json::to_string(&product).map_err(ApiError::internal)
}

/// [`presign_product`] for every product of a storefront page.
async fn presign_page(
    store: &MediaStore,
    scope: &TenantScope,
    json: &str,
) -> Result<String, ApiError> {
    let mut page: ProductPage = serde_json::from_str(json).map_err(ApiError::internal)?;
    for product in &mut page.items {
        presign(store, scope, product).await?;
    }
    serde_json::to_string(&page).map_err(ApiError::internal)
}

async fn presign(
    store: &MediaStore,
    scope: &TenantScope,
    product: &mut StorefrontProduct,
) -> Result<(), crate::media::service::MediaError> {
    for m in &mut product.media {
        m.url = crate::media::service::public_url(store, scope, product.number, &m.name).await?;
    }
    Ok(())
}
