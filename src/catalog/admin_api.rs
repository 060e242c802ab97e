//! Staff catalog endpoints: categories, products, variants, SKU lookup.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
};

use super::{
    service::{
        self, Cursor, NewProduct, ProductDetail, ProductPatch, ProductRow, SkuRow, VariantPatch,
        VariantRow,
    },
    status::ProductStatus,
    translations::{self, BrandLocales, CategoryTranslation, ProductTranslation},
    variants::{Axis, OptionValue},
};
use crate::{
    api::ApiTags,
    delivery::TaxClass,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    scope::TenantScope,
    tenants::StaffBrand,
    types::{CategoryCode, Description, DisplayName, Handle, Nullable, Unchecked},
};

#[derive(Object)]
#[oai(rename = "AdminCategory")]
pub struct AdminCategory {
    pub code: String,
    pub name: String,
    pub product_count: i64,
}

#[derive(Object)]
#[oai(rename = "CreateCategoryRequest")]
pub struct CreateCategoryRequest {
    /// 2 to 8 uppercase letters or digits; part of every SKU in the category.
    pub code: Unchecked<CategoryCode>,
    pub name: Unchecked<DisplayName>,
}

#[derive(Object)]
#[oai(rename = "RenameCategoryRequest")]
pub struct RenameCategoryRequest {
    pub name: Unchecked<DisplayName>,
}

/// A variant as staff see it.
#[derive(Object)]
#[oai(rename = "AdminVariant")]
pub struct AdminVariant {
    /// Never changes once issued.
    pub sku: String,
    pub options: Vec<OptionValue>,
    /// Overrides the product's base price when set (minor units).
    pub price_override_minor: Nullable<i64>,
    /// The price charged: the override or the product's base price.
    pub price_minor: i64,
    /// Stock available below this counts as low.
    pub reorder_threshold: i32,
    /// Inactive variants are not sold; they are never deleted.
    pub is_active: bool,
    /// The shipping weight in grams (weight-banded shipping methods); `null` counts as 0.
    pub weight_grams: Nullable<i32>,
}

fn admin_variant(v: VariantRow, base_price_minor: i64) -> AdminVariant {
    AdminVariant {
        price_minor: v.price_override_minor.unwrap_or(base_price_minor),
        sku: v.sku,
        options: v.options,
        price_override_minor: v.price_override_minor.into(),
        reorder_threshold: v.reorder_threshold,
        is_active: v.is_active,
        weight_grams: v.weight_grams.into(),
    }
}

/// A product as staff see it.
#[derive(Object)]
#[oai(rename = "AdminProduct")]
pub struct AdminProduct {
    pub number: i32,
    pub handle: String,
    /// The first part of every SKU of the product (fixed at creation).
    pub sku_stem: String,
    pub category_code: String,
    pub name: String,
    pub description: String,
    /// `draft`, `active` (on the storefront) or `archived`.
    pub status: ProductStatus,
    pub currency: String,
    pub base_price_minor: i64,
    pub axes: Vec<Axis>,
    /// Which of a country's tax rates applies to the product's lines at checkout (default
    /// `standard`; `PATCH` changes it).
    pub tax_class: TaxClass,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every variant, active or not (`null` in lists).
    pub variants: Nullable<Vec<AdminVariant>>,
}

fn admin_product(p: ProductRow, currency: &str, variants: Option<Vec<VariantRow>>) -> AdminProduct {
    let base = p.base_price_minor;
    AdminProduct {
        number: p.number,
        handle: p.handle,
        sku_stem: p.sku_stem,
        category_code: p.category_code,
        name: p.name,
        description: p.description,
        status: p.status,
        currency: currency.to_owned(),
        base_price_minor: p.base_price_minor,
        axes: p.axes,
        tax_class: p.tax_class,
        created_at: p.created_at,
        updated_at: p.updated_at,
        variants: Nullable::from(
            variants.map(|vs| vs.into_iter().map(|v| admin_variant(v, base)).collect()),
        ),
    }
}

#[derive(Object)]
#[oai(rename = "AdminProductPage")]
pub struct AdminProductPage {
    pub items: Vec<AdminProduct>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Nullable<String>,
}

#[derive(Object)]
#[oai(rename = "CreateProductRequest")]
pub struct CreateProductRequest {
    /// A stable key for the product (lowercase, hyphenated); derived from the name if absent.
    pub handle: Option<Unchecked<Handle>>,
    pub category_code: Unchecked<CategoryCode>,
    pub name: Unchecked<DisplayName>,
    #[oai(default)]
    pub description: Unchecked<Description>,
    /// `draft` (default), `active` or `archived`.
    pub status: Option<Unchecked<ProductStatus>>,
    /// In the brand currency's minor units.
    pub base_price_minor: i64,
    /// Option axes; their cartesian product becomes the variants (none: one default variant).
    #[oai(default)]
    pub axes: Vec<Axis>,
}

/// Fields to change; omitted ones stay. New `axes` regenerate the variants: missing
/// combinations are added, dropped ones deactivated, kept ones keep their SKUs.
#[derive(Object)]
#[oai(rename = "UpdateProductRequest")]
pub struct UpdateProductRequest {
    pub category_code: Option<Unchecked<CategoryCode>>,
    pub name: Option<Unchecked<DisplayName>>,
    pub description: Option<Unchecked<Description>>,
    pub status: Option<Unchecked<ProductStatus>>,
    pub base_price_minor: Option<i64>,
    pub axes: Option<Vec<Axis>>,
    /// Which of a country's tax rates applies to the product's lines at checkout.
    pub tax_class: Option<Unchecked<TaxClass>>,
}

/// Variant settings to change; omitted ones stay. `price_override_minor: null` clears the
/// override.
#[derive(Object)]
#[oai(rename = "UpdateVariantRequest")]
pub struct UpdateVariantRequest {
    #[oai(nullable)]
    pub price_override_minor: MaybeUndefined<i64>,
    pub reorder_threshold: Option<i32>,
    pub is_active: Option<bool>,
    /// The shipping weight in grams (0 to 1000000); `null` clears it.
    #[oai(nullable)]
    pub weight_grams: MaybeUndefined<i32>,
}

/// What a scanned SKU is.
#[derive(Object)]
#[oai(rename = "SkuLookup")]
pub struct SkuLookup {
    pub sku: String,
    pub product_number: i32,
    pub product_name: String,
    pub product_status: ProductStatus,
    pub category_code: String,
    pub options: Vec<OptionValue>,
    pub currency: String,
    pub price_minor: i64,
    pub reorder_threshold: i32,
    pub is_active: bool,
    /// The shipping weight in grams; `null` when not set (counts as 0).
    pub weight_grams: Nullable<i32>,
}

#[derive(ApiResponse)]
pub enum Created<T: poem_openapi::types::ToJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>),
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    Done,
}

/// The locales a brand sells in.
#[derive(Object)]
#[oai(rename = "BrandLocales")]
pub struct BrandLocalesBody {
    /// BCP 47 tags (`en`, `es`, `ja`, `pt-BR`), 1 to 20, canonical case.
    pub locales: Vec<String>,
    /// One of `locales`: the language of the products' and categories' own text; a field
    /// without a translation falls back to it.
    pub default_locale: String,
}

impl From<BrandLocales> for BrandLocalesBody {
    fn from(b: BrandLocales) -> Self {
        Self {
            locales: b.locales.into_iter().map(|l| l.into_string()).collect(),
            default_locale: b.default.into_string(),
        }
    }
}

/// A product's text in one locale, as stored; a `null` field shows the default locale's text.
#[derive(Object)]
#[oai(rename = "ProductTranslation")]
pub struct ProductTranslationBody {
    /// The BCP 47 tag (one of the brand's locales, not its default).
    pub locale: String,
    pub name: Nullable<String>,
    pub description: Nullable<String>,
    /// An axis name or option value as the product spells it → its label in this locale.
    pub option_labels: std::collections::BTreeMap<String, String>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProductTranslation> for ProductTranslationBody {
    fn from(t: ProductTranslation) -> Self {
        Self {
            locale: t.locale,
            name: t.name.into(),
            description: t.description.into(),
            option_labels: t.option_labels,
            updated_at: t.updated_at,
        }
    }
}

/// A product's text in one locale; a field left out (or `null`) shows the default locale's.
#[derive(Object)]
#[oai(rename = "PutProductTranslationRequest")]
pub struct PutProductTranslationRequest {
    /// 1 to 200 characters.
    #[oai(default)]
    pub name: Option<String>,
    /// At most 10,000 characters.
    #[oai(default)]
    pub description: Option<String>,
    /// An axis name or option value as the product spells it → its label in this locale
    /// (`{"Size": "Tamaño", "Jasmine": "Jazmín"}`); at most 200, each 1 to 100 characters.
    #[oai(default)]
    pub option_labels: std::collections::BTreeMap<String, String>,
}

/// A category's name in one locale.
#[derive(Object)]
#[oai(rename = "CategoryTranslation")]
pub struct CategoryTranslationBody {
    /// The BCP 47 tag (one of the brand's locales, not its default).
    #[oai(read_only)]
    pub locale: String,
    /// 1 to 200 characters.
    pub name: String,
    #[oai(read_only)]
    pub updated_at: DateTime<Utc>,
}

impl From<CategoryTranslation> for CategoryTranslationBody {
    fn from(t: CategoryTranslation) -> Self {
        Self {
            locale: t.locale,
            name: t.name,
            updated_at: t.updated_at,
        }
    }
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct CatalogAdminApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// The brand-keyed storefront cache (invalidated after catalog and stock writes).
    pub cache: crate::cache::Cache,
}

/// A product with every variant, as staff see it.
fn product_detail(detail: ProductDetail, scope: &TenantScope) -> AdminProduct {
    admin_product(
        detail.product,
        &scope.tenant().currency,
        Some(detail.variants),
    )
}

/// What a scanned SKU is, as staff see it.
fn sku_lookup(row: SkuRow, scope: &TenantScope) -> SkuLookup {
    SkuLookup {
        price_minor: row
            .variant
            .price_override_minor
            .unwrap_or(row.base_price_minor),
        sku: row.variant.sku,
        product_number: row.product_number,
        product_name: row.product_name,
        product_status: row.product_status,
        category_code: row.category_code,
        options: row.variant.options,
        currency: scope.tenant().currency.clone(),
        reorder_threshold: row.variant.reorder_threshold,
        is_active: row.variant.is_active,
        weight_grams: row.variant.weight_grams.into(),
    }
}

/// The number after which a page of the product list starts (400 for a cursor this endpoint
/// did not issue).
fn after_number(cursor: Option<&str>) -> Result<i32, ApiError> {
    match cursor {
        None => Ok(0),
        Some(c) => Ok(Cursor::decode(c)
            .filter(|c| c.rank.is_none())
            .ok_or_else(|| ApiError::bad_request("cursor: not a cursor returned by this endpoint"))?
            .number),
    }
}

#[OpenApi]
impl CatalogAdminApi {
    /// The brand's categories with their product counts.
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/categories",
        method = "get",
        operation_id = "listCategories",
        tag = "ApiTags::Catalog"
    )]
    async fn list_categories(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<AdminCategory>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        let rows = service::list_categories(&self.db, &scope).await?;
        Ok(Json(
            rows.into_iter()
                .map(|c| AdminCategory {
                    code: c.code,
                    name: c.name,
                    product_count: c.product_count,
                })
                .collect(),
        ))
    }

    /// Creates a category. A code the brand already uses is 409.
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/categories",
        method = "post",
        operation_id = "createCategory",
        tag = "ApiTags::Catalog"
    )]
    async fn create_category(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<CreateCategoryRequest>,
    ) -> Result<Created<AdminCategory>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        service::create_category(&self.db, &scope, &body.0.code, &body.0.name).await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Created::Created(Json(AdminCategory {
            code: body.0.code.into_string(),
            name: body.0.name.trim().to_owned(),
            product_count: 0,
        })))
    }

    /// Renames a category (its code, being in SKUs, never changes).
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/categories/:code",
        method = "patch",
        operation_id = "renameCategory",
        tag = "ApiTags::Catalog"
    )]
    async fn rename_category(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        code: Path<String>,
        body: Json<RenameCategoryRequest>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        service::rename_category(&self.db, &scope, &code.0, &body.0.name).await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Done::Done)
    }

    /// Deletes a category without products (409 while products use it).
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/categories/:code",
        method = "delete",
        operation_id = "deleteCategory",
        tag = "ApiTags::Catalog"
    )]
    async fn delete_category(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        code: Path<String>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        service::delete_category(&self.db, &scope, &code.0).await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Done::Done)
    }

    /// The brand's products in number order, any status, without variants.
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/products",
        method = "get",
        operation_id = "listProducts",
        tag = "ApiTags::Catalog"
    )]
    async fn list_products(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        cursor: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        /// `draft`, `active` or `archived`.
        status: Query<Option<ProductStatus>>,
        /// A category code.
        category: Query<Option<String>>,
    ) -> Result<Json<AdminProductPage>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        let page = service::list_products(
            &self.db,
            &scope,
            after_number(cursor.0.as_deref())?,
            status.0,
            category.0.as_deref(),
            limit.0.unwrap_or(50) as usize,
        )
        .await?;
        let currency = &scope.tenant().currency;
        Ok(Json(AdminProductPage {
            items: page
                .items
                .into_iter()
                .map(|p| admin_product(p, currency, None))
                .collect(),
            next_cursor: page.next_cursor.into(),
        }))
    }

    /// Creates a product and generates its variants and SKUs
    /// (`{brand}-{category}-{number}-{value codes}`).
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/products",
        method = "post",
        operation_id = "createProduct",
        tag = "ApiTags::Catalog"
    )]
    async fn create_product(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<CreateProductRequest>,
    ) -> Result<Created<AdminProduct>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        let b = body.0;
        let detail = service::create_product_detail(
            &self.db,
            &self.cache,
            &scope,
            &NewProduct {
                handle: b.handle.map(Unchecked::into_string),
                category_code: b.category_code.into_string(),
                name: b.name.into_string(),
                description: b.description.into_string(),
                status: b.status.map_or_else(
                    || ProductStatus::Draft.as_str().to_owned(),
                    Unchecked::into_string,
                ),
                base_price_minor: b.base_price_minor,
                axes: b.axes,
            },
        )
        .await?;
        Ok(Created::Created(Json(product_detail(detail, &scope))))
    }

    /// A product with every variant.
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/products/:number",
        method = "get",
        operation_id = "getProduct",
        tag = "ApiTags::Catalog"
    )]
    async fn get_product(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<AdminProduct>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        let detail = service::product_detail(&self.db, &scope, number.0).await?;
        Ok(Json(product_detail(detail, &scope)))
    }

    /// Changes a product. Renaming or recategorising changes no SKU.
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/products/:number",
        method = "patch",
        operation_id = "updateProduct",
        tag = "ApiTags::Catalog"
    )]
    async fn update_product(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
        body: Json<UpdateProductRequest>,
    ) -> Result<Json<AdminProduct>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        let b = body.0;
        let detail = service::update_product_detail(
            &self.db,
            &self.cache,
            &scope,
            number.0,
            &ProductPatch {
                category_code: b.category_code.map(Unchecked::into_string),
                name: b.name.map(Unchecked::into_string),
                description: b.description.map(Unchecked::into_string),
                status: b.status.map(Unchecked::into_string),
                base_price_minor: b.base_price_minor,
                axes: b.axes,
                tax_class: b.tax_class.map(Unchecked::into_string),
            },
        )
        .await?;
        Ok(Json(product_detail(detail, &scope)))
    }

    /// Archives a product: it leaves the storefront; its rows and SKUs stay (SKUs are on
    /// labels and in order history, so products are never deleted).
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/products/:number",
        method = "delete",
        operation_id = "archiveProduct",
        tag = "ApiTags::Catalog"
    )]
    async fn archive_product(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        service::update_product(
            &self.db,
            &scope,
            number.0,
            &ProductPatch {
                status: Some(ProductStatus::Archived.as_str().to_owned()),
                ..Default::default()
            },
        )
        .await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Done::Done)
    }

    /// Changes a variant's price override, reorder threshold or activation.
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/variants/:sku",
        method = "patch",
        operation_id = "updateVariant",
        tag = "ApiTags::Catalog"
    )]
    async fn update_variant(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        sku: Path<String>,
        body: Json<UpdateVariantRequest>,
    ) -> Result<Json<SkuLookup>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        let b = body.0;
        let price = match b.price_override_minor {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(v) => Some(Some(v)),
        };
        let row = service::patch_variant_lookup(
            &self.db,
            &self.cache,
            &scope,
            &sku.0,
            &VariantPatch {
                price_override_minor: price,
                reorder_threshold: b.reorder_threshold,
                is_active: b.is_active,
                weight_grams: match b.weight_grams {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(w) => Some(Some(w)),
                },
            },
        )
        .await?;
        Ok(Json(sku_lookup(row, &scope)))
    }

    /// What a scanned SKU is: product, options, price, threshold. A SKU of another brand is
    /// 404 here.
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/skus/:sku",
        method = "get",
        operation_id = "lookupSku",
        tag = "ApiTags::Catalog"
    )]
    async fn lookup_sku(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        sku: Path<String>,
    ) -> Result<Json<SkuLookup>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        let row = service::lookup_sku(&self.db, &scope, &sku.0).await?;
        Ok(Json(sku_lookup(row, &scope)))
    }

    /// The brand's locales and its default (a brand that never set them: `en` only).
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/locales",
        method = "get",
        operation_id = "getBrandLocales",
        tag = "ApiTags::Catalog"
    )]
    async fn get_locales(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<BrandLocalesBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        Ok(Json(
            translations::brand_locales(&self.db, &scope).await?.into(),
        ))
    }

    /// Sets the brand's locales and default. Tags are BCP 47 (`es`, `pt-BR`), returned in
    /// canonical case; the storefront negotiates among them. Translations of a locale taken off
    /// the list are kept (and shown again if it comes back).
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/locales",
        method = "put",
        operation_id = "setBrandLocales",
        tag = "ApiTags::Catalog"
    )]
    async fn set_locales(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<BrandLocalesBody>,
    ) -> Result<Json<BrandLocalesBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        let set = translations::set_brand_locales(
            &self.db,
            &scope,
            &body.0.locales,
            &body.0.default_locale,
        )
        .await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(set.into()))
    }

    /// A product's translations, by locale (404 if there is no such product).
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/products/:number/translations",
        method = "get",
        operation_id = "listProductTranslations",
        tag = "ApiTags::Catalog"
    )]
    async fn list_product_translations(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<Vec<ProductTranslationBody>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        let rows = translations::product_translations(&self.db, &scope, number.0).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Writes a product's text in one of the brand's locales (not the default: that is the
    /// product's own text). Replaces the locale's translation; a field left out falls back to
    /// the default locale's. 422 for a locale the brand does not list.
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/products/:number/translations/:locale",
        method = "put",
        operation_id = "putProductTranslation",
        tag = "ApiTags::Catalog"
    )]
    async fn put_product_translation(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
        /// A BCP 47 tag, one of the brand's locales.
        locale: Path<String>,
        body: Json<PutProductTranslationRequest>,
    ) -> Result<Json<ProductTranslationBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        let saved = translations::put_product_translation(
            &self.db,
            &scope,
            number.0,
            &locale.0,
            body.0.name.as_deref(),
            body.0.description.as_deref(),
            &body.0.option_labels,
        )
        .await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(saved.into()))
    }

    /// Removes a product's translation into one locale (404 if it had none).
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/products/:number/translations/:locale",
        method = "delete",
        operation_id = "deleteProductTranslation",
        tag = "ApiTags::Catalog"
    )]
    async fn delete_product_translation(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
        /// A BCP 47 tag.
        locale: Path<String>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        translations::delete_product_translation(&self.db, &scope, number.0, &locale.0).await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Done::Done)
    }

    /// A category's translated names, by locale (404 if there is no such category).
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/categories/:code/translations",
        method = "get",
        operation_id = "listCategoryTranslations",
        tag = "ApiTags::Catalog"
    )]
    async fn list_category_translations(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        code: Path<String>,
    ) -> Result<Json<Vec<CategoryTranslationBody>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        let rows = translations::category_translations(&self.db, &scope, &code.0).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Writes a category's name in one of the brand's locales (not the default).
    ///
    /// Permission `catalog.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/categories/:code/translations/:locale",
        method = "put",
        operation_id = "putCategoryTranslation",
        tag = "ApiTags::Catalog"
    )]
    async fn put_category_translation(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        code: Path<String>,
        /// A BCP 47 tag, one of the brand's locales.
        locale: Path<String>,
        body: Json<CategoryTranslationBody>,
    ) -> Result<Json<CategoryTranslationBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogWrite)?;
        let saved = translations::put_category_translation(
            &self.db,
            &scope,
            &code.0,
            &locale.0,
            &body.0.name,
        )
        .await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(saved.into()))
    }
}
