//! Storefront endpoints of the brand itself.

use poem_openapi::{Object, OpenApi, payload::Json};

use super::{Storefront, Theme, service};
use crate::{api::ApiTags, error::ApiError};

/// The brand as a storefront renders it.
#[derive(Debug, Object)]
#[oai(rename = "StorefrontTheme")]
pub struct StorefrontTheme {
    /// The brand's slug: its `X-Tenant-ID`.
    pub slug: String,
    pub name: String,
    /// ISO 4217 code of the brand's prices.
    pub currency: String,
    pub theme: Theme,
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct TenantsApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
}

#[OpenApi]
impl TenantsApi {
    /// The brand's name and public theme.
    ///
    /// The brand comes from `X-Tenant-ID` (its slug) or, without it, from the `Host` header
    /// matched against the brand's domains. Unknown and deactivated brands are 404; a request
    /// naming no brand is 400. Anonymous.
    #[oai(
        path = "/v1/storefront/theme",
        method = "get",
        operation_id = "getStorefrontTheme",
        tag = "ApiTags::Storefront"
    )]
    async fn theme(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
    ) -> Result<Json<StorefrontTheme>, ApiError> {
        let row = service::storefront_theme(&self.db, &brand.0).await?;
        Ok(Json(StorefrontTheme {
            slug: row.slug,
            name: row.name,
            currency: row.currency,
            theme: row.theme,
        }))
    }
}
