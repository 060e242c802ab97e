//! Brand onboarding and settings (owner), and the brand as its staff see it.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use super::{
    StaffBrand, Theme,
    service::{self, BrandPatch, BrandRow, NewBrand},
};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    types::{CurrencyCode, DisplayName, DomainName, SkuPrefix, Slug, Unchecked},
};

/// A brand with its settings.
#[derive(Object)]
#[oai(rename = "Brand")]
pub struct Brand {
    pub id: Uuid,
    /// Lowercase, hyphenated; the brand's `X-Tenant-ID` and object-storage prefix. Never
    /// changes.
    pub slug: String,
    pub name: String,
    /// Three uppercase letters starting every SKU of the brand. Never changes.
    pub sku_prefix: String,
    pub currency: String,
    /// Host names whose requests belong to this brand (unique across brands).
    pub domains: Vec<String>,
    pub theme: Theme,
    /// Feature switches for frontends (free-form JSON object).
    pub features: serde_json::Value,
    /// A deactivated brand's storefront answers 404; its data stays.
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<BrandRow> for Brand {
    fn from(r: BrandRow) -> Self {
        Self {
            id: r.id,
            slug: r.slug,
            name: r.name,
            sku_prefix: r.sku_prefix,
            currency: r.currency,
            domains: r.domains,
            theme: r.theme,
            features: r.features,
            is_active: r.is_active,
            created_at: r.created_at,
        }
    }
}

#[derive(Object)]
#[oai(rename = "CreateBrandRequest")]
pub struct CreateBrandRequest {
    pub slug: Unchecked<Slug>,
    pub name: Unchecked<DisplayName>,
    pub sku_prefix: Unchecked<SkuPrefix>,
    /// ISO 4217; defaults to EUR.
    pub currency: Option<Unchecked<CurrencyCode>>,
    #[oai(default)]
    pub domains: Vec<Unchecked<DomainName>>,
    pub theme: Option<Theme>,
    pub features: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// Fields to change; omitted fields stay as they are. `domains` replaces the whole list.
#[derive(Object)]
#[oai(rename = "UpdateBrandRequest")]
pub struct UpdateBrandRequest {
    pub name: Option<Unchecked<DisplayName>>,
    pub domains: Option<Vec<Unchecked<DomainName>>>,
    pub theme: Option<Theme>,
    pub features: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    pub is_active: Option<bool>,
}

#[derive(ApiResponse)]
pub enum CreatedBrand {
    #[oai(status = 201)]
    Created(Json<Brand>),
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct BrandsApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// Brand lookups (invalidated when a brand changes).
    pub tenants: crate::tenants::TenantResolver,
}

#[OpenApi]
impl BrandsApi {
    /// Creates a brand: one row, no deploy. Its storefront answers at once, by `X-Tenant-ID`
    /// or any of its domains.
    ///
    /// Permission `brands.manage`: role owner.
    #[oai(
        path = "/v1/admin/brands",
        method = "post",
        operation_id = "createBrand",
        tag = "ApiTags::Brands"
    )]
    async fn create(
        &self,
        auth: StaffAuth,
        body: Json<CreateBrandRequest>,
    ) -> Result<CreatedBrand, ApiError> {
        let actor = auth.0.authorize_company(Permission::BrandsManage)?;
        let body = body.0;
        let new = NewBrand {
            slug: body.slug.into_string(),
            name: body.name.into_string(),
            sku_prefix: body.sku_prefix.into_string(),
            currency: body
                .currency
                .map_or_else(|| "EUR".to_owned(), Unchecked::into_string),
            domains: body
                .domains
                .into_iter()
                .map(Unchecked::into_string)
                .collect(),
            theme: body.theme.unwrap_or_default(),
            features: body.features.unwrap_or_default().into_iter().collect(),
        };
        let brand = service::create_brand_details(&self.db, &self.tenants, &actor, &new)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("created brand vanished")))?;
        Ok(CreatedBrand::Created(Json(brand.into())))
    }

    /// Every brand, active or not.
    ///
    /// Permission `brands.manage`: role owner.
    #[oai(
        path = "/v1/admin/brands",
        method = "get",
        operation_id = "listBrands",
        tag = "ApiTags::Brands"
    )]
    async fn list(&self, auth: StaffAuth) -> Result<Json<Vec<Brand>>, ApiError> {
        let actor = auth.0.authorize_company(Permission::BrandsManage)?;
        let brands = service::brand_details(&self.db, &actor, None).await?;
        Ok(Json(brands.into_iter().map(Into::into).collect()))
    }

    /// One brand by slug.
    ///
    /// Permission `brands.manage`: role owner.
    #[oai(
        path = "/v1/admin/brands/:slug",
        method = "get",
        operation_id = "getBrand",
        tag = "ApiTags::Brands"
    )]
    async fn get(&self, auth: StaffAuth, slug: Path<String>) -> Result<Json<Brand>, ApiError> {
        let actor = auth.0.authorize_company(Permission::BrandsManage)?;
        service::brand_details(&self.db, &actor, Some(&slug.0))
            .await?
            .pop()
            .map(|b| Json(b.into()))
            .ok_or_else(|| ApiError::not_found("no such brand"))
    }

    /// Changes a brand's name, domains, theme, features or activation. Deactivating hides the
    /// storefront (404) and keeps every row.
    ///
    /// Permission `brands.manage`: role owner.
    #[oai(
        path = "/v1/admin/brands/:slug",
        method = "patch",
        operation_id = "updateBrand",
        tag = "ApiTags::Brands"
    )]
    async fn update(
        &self,
        auth: StaffAuth,
        slug: Path<String>,
        body: Json<UpdateBrandRequest>,
    ) -> Result<Json<Brand>, ApiError> {
        let actor = auth.0.authorize_company(Permission::BrandsManage)?;
        let body = body.0;
        let brand = service::update_brand(
            &self.db,
            &actor,
            &slug.0,
            &BrandPatch {
                name: body.name.map(Unchecked::into_string),
                domains: body
                    .domains
                    .map(|d| d.into_iter().map(Unchecked::into_string).collect()),
                theme: body.theme,
                features: body.features.map(|f| f.into_iter().collect()),
                is_active: body.is_active,
            },
        )
        .await?;
        self.tenants.invalidate_all();
        Ok(Json(brand.into()))
    }

    /// The brand named by `X-Tenant-ID` (or Host), as its staff see it.
    ///
    /// Permission `brand.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/brand",
        method = "get",
        operation_id = "getCurrentBrand",
        tag = "ApiTags::Brands"
    )]
    async fn current(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Brand>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandRead)?;
        Ok(Json(service::current_brand(&self.db, &scope).await?.into()))
    }
}
