//! Storefront catalog endpoints: categories, the product list (cursor-paginated, filterable,
//! searchable) and product detail, served through the brand's cache.

use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use serde::{Deserialize, Serialize};

use super::{
    service::Cursor,
    storefront::{self, PageQuery, StorefrontDocument},
    translations,
    variants::OptionValue,
};
use crate::{
    api::ApiTags,
    error::ApiError,
    payload::RawJson,
    scope::TenantScope,
    tenants::Storefront,
    types::{Locale, Nullable},
};

/// The response header naming what a localised response varies by.
const VARY: &str = "Accept-Language";

/// The brand's categories in the negotiated locale.
#[derive(ApiResponse)]
pub enum LocalizedCategories {
    #[oai(status = 200)]
    Ok(
        Json<Vec<Category>>,
        /// The locale the text is in (one of the brand's; BCP 47).
        #[oai(header = "Content-Language")]
        String,
        /// `Accept-Language`: the same URL is another language for another client.
        #[oai(header = "Vary")]
        String,
    ),
}

/// A page of products in the negotiated locale.
#[derive(ApiResponse)]
pub enum LocalizedPage {
    #[oai(status = 200)]
    Ok(
        RawJson<ProductPage>,
        /// The locale the text is in (one of the brand's; BCP 47).
        #[oai(header = "Content-Language")]
        String,
        /// `Accept-Language`: the same URL is another language for another client.
        #[oai(header = "Vary")]
        String,
    ),
}

/// One product in the negotiated locale.
#[derive(ApiResponse)]
pub enum LocalizedProduct {
    #[oai(status = 200)]
    Ok(
        RawJson<StorefrontProduct>,
        /// The locale the text is in (one of the brand's; BCP 47).
        #[oai(header = "Content-Language")]
        String,
        /// `Accept-Language`: the same URL is another language for another client.
        #[oai(header = "Vary")]
        String,
    ),
}

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
    pub available_in_zone: Nullable<i64>,
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
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Nullable<String>,
}

impl StorefrontDocument for StorefrontProduct {
    fn media_urls(&mut self) -> Vec<(i32, &str, &mut String)> {
        let number = self.number;
        self.media
            .iter_mut()
            .map(|m| (number, m.name.as_str(), &mut m.url))
            .collect()
    }
}

impl StorefrontDocument for ProductPage {
    fn media_urls(&mut self) -> Vec<(i32, &str, &mut String)> {
        self.items
            .iter_mut()
            .flat_map(StorefrontDocument::media_urls)
            .collect()
    }
}

/// The decoded `cursor` parameter (400 if this endpoint did not issue it for this query).
fn page_cursor(cursor: Option<&str>, search: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let after = Cursor::decode(cursor)
        .ok_or_else(|| ApiError::bad_request("cursor: not a cursor returned by this endpoint"))?;
    if after.rank.is_some() != search.is_some() {
        return Err(ApiError::bad_request(
            "cursor: belongs to a different query",
        ));
    }
    Ok(Some(after))
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

impl CatalogApi {
    /// The locale a storefront request is answered in, among the brand's (see
    /// [`crate::types::locale::negotiate`]).
    async fn locale(
        &self,
        scope: &TenantScope,
        explicit: Option<&Locale>,
        accept_language: Option<&str>,
    ) -> Result<Locale, ApiError> {
        let brand = translations::storefront_locales(&self.db, &self.cache, scope).await?;
        Ok(brand.negotiate(explicit, accept_language).clone())
    }
}

#[OpenApi]
impl CatalogApi {
    /// The brand's product categories, ordered by code, for storefront navigation.
    ///
    /// Names come in the locale negotiated from `locale` or `Accept-Language` among the brand's
    /// locales (see the product list), named by `Content-Language`. Anonymous. The brand comes
    /// from `X-Tenant-ID` or the `Host` header.
    #[oai(
        path = "/v1/storefront/categories",
        method = "get",
        operation_id = "listStorefrontCategories",
        tag = "ApiTags::Storefront"
    )]
    async fn storefront_categories(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        /// A BCP 47 locale (`es`, `pt-BR`); wins over `Accept-Language` when the brand has it
        /// (or a locale of its language).
        locale: Query<Option<Locale>>,
        /// The client's languages with q-values (`es-MX,es;q=0.9,en;q=0.5`).
        #[oai(name = "Accept-Language")]
        accept_language: Header<Option<String>>,
    ) -> Result<LocalizedCategories, ApiError> {
        let locale = self
            .locale(&brand.0, locale.0.as_ref(), accept_language.0.as_deref())
            .await?;
        let rows = storefront::categories(&self.db, &brand.0, locale.as_str()).await?;
        Ok(LocalizedCategories::Ok(
            Json(
                rows.into_iter()
                    .map(|r| Category {
                        code: r.code,
                        name: r.name,
                    })
                    .collect(),
            ),
            locale.into_string(),
            VARY.into(),
        ))
    }

    /// Active products with their active variants and prices, a page at a time.
    ///
    /// Without `q`, products come in product-number order: pages never repeat or skip a
    /// product, even while products are being added (new ones appear at the end). With `q`,
    /// products matching the words (full-text on name and description, any language) or
    /// containing the text in their name come by relevance. `category` filters by category
    /// code. Anonymous; cached per brand and locale.
    ///
    /// **Language**: the text comes in the locale negotiated among the brand's locales: `locale`
    /// if the brand has it (or one of its language: `es-MX` → `es`), else the best match of
    /// `Accept-Language` by q-value (regional ranges fall back to their language), else the
    /// brand's default. Each field without a translation falls back to the default locale's
    /// text on its own. `Content-Language` names the locale; search matches the words in that
    /// locale's language (stemmed, accents folded) as well as the product's own text.
    #[oai(
        path = "/v1/storefront/products",
        method = "get",
        operation_id = "listStorefrontProducts",
        tag = "ApiTags::Storefront"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per query parameter and header: poem-openapi's extractor list"
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
        /// A BCP 47 locale (`es`, `pt-BR`); wins over `Accept-Language` when the brand has it
        /// (or a locale of its language).
        locale: Query<Option<Locale>>,
        /// The client's languages with q-values (`es-MX,es;q=0.9,en;q=0.5`).
        #[oai(name = "Accept-Language")]
        accept_language: Header<Option<String>>,
    ) -> Result<LocalizedPage, ApiError> {
        let locale = self
            .locale(&brand.0, locale.0.as_ref(), accept_language.0.as_deref())
            .await?;
        let search = q.0.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let page = storefront::products_page::<ProductPage>(
            &self.db,
            &self.cache,
            &self.media,
            &brand.0,
            &PageQuery {
                cursor: cursor.0.as_deref(),
                after: page_cursor(cursor.0.as_deref(), search)?,
                limit: limit.0.unwrap_or(20),
                category: category.0.as_deref(),
                search,
                zone: zone.0.as_deref(),
                locale: locale.as_str(),
            },
        )
        .await?;
        Ok(LocalizedPage::Ok(
            RawJson::new(page),
            locale.into_string(),
            VARY.into(),
        ))
    }

    /// One active product with its active variants and prices, in the negotiated locale (see
    /// the product list; `Content-Language` names it). Anonymous; cached per brand and locale.
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
        /// A BCP 47 locale (`es`, `pt-BR`); wins over `Accept-Language` when the brand has it
        /// (or a locale of its language).
        locale: Query<Option<Locale>>,
        /// The client's languages with q-values (`es-MX,es;q=0.9,en;q=0.5`).
        #[oai(name = "Accept-Language")]
        accept_language: Header<Option<String>>,
    ) -> Result<LocalizedProduct, ApiError> {
        let locale = self
            .locale(&brand.0, locale.0.as_ref(), accept_language.0.as_deref())
            .await?;
        let json = storefront::product::<StorefrontProduct>(
            &self.db,
            &self.cache,
            &self.media,
            &brand.0,
            number.0,
            zone.0.as_deref(),
            locale.as_str(),
        )
        .await?;
        Ok(LocalizedProduct::Ok(
            RawJson::new(json),
            locale.into_string(),
            VARY.into(),
        ))
    }
}
