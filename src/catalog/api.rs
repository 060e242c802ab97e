//! Catalog endpoints.

use poem_openapi::{Object, OpenApi, payload::Json};

use super::repo;
use crate::{
    api::{ApiTags, AppState},
    error::ApiError,
    tenants::Storefront,
};

/// A product category.
#[derive(Debug, Object)]
#[oai(rename = "Category")]
pub struct Category {
    /// Short uppercase code, part of every SKU in the category (`HAIR`).
    pub code: String,
    pub name: String,
}

pub struct CatalogApi {
    pub state: AppState,
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
            .state
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
}
