//! Shared pieces of the HTTP layer: the spec's operation groups ([`ApiTags`]) that every
//! domain's `api.rs` names, and the health endpoints. The OpenAPI service that gathers every
//! domain's endpoints is assembled in the composition root ([`crate::startup`]), so this module
//! depends on no domain.

pub mod web;

use std::time::Duration;

use poem_openapi::{ApiResponse, Object, OpenApi, Tags, payload::Json};

use crate::{db::Db, error::ApiError, scope::Actor};

/// Operation groups in the spec (and in generated clients).
#[derive(Tags)]
pub enum ApiTags {
    /// Liveness and readiness.
    Health,
    /// Anonymous, brand-scoped reads for storefront frontends.
    Storefront,
    /// Staff sign-in, sign-out and identity.
    Auth,
    /// Brand onboarding and settings.
    Brands,
    /// Staff memberships and roles in a brand.
    Staff,
    /// Categories, products, variants and SKUs (staff).
    Catalog,
    /// Zones, stock, the ledger.
    Inventory,
    /// Orders, fulfilment, customers (staff).
    Orders,
    /// Payment provider callbacks.
    Payments,
    /// Cross-brand figures for the company owner.
    Analytics,
    /// Meta's WhatsApp webhook.
    Webhooks,
    /// The WhatsApp assistant's settings, the brands' WhatsApp numbers and the support console.
    Chat,
    /// Bulk CSV imports of the catalog.
    Imports,
    /// Product images in object storage.
    Media,
    /// Business events: polling, live streams (Server-Sent Events), stream tickets.
    Events,
    /// Signed outbound webhooks of a brand: endpoints, delivery log, redelivery.
    BrandWebhooks,
    /// A brand's shipping methods and tax rates (staff).
    Delivery,
    /// A brand's promotions and promo codes (staff).
    Promotions,
}

#[derive(Debug, Object)]
#[oai(rename = "HealthStatus")]
pub struct HealthStatus {
    /// `ok` (the process is up) or `ready` (it can reach the database).
    pub status: String,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    #[oai(status = 200)]
    Ok(Json<HealthStatus>),
}

/// Liveness and readiness probes.
pub struct HealthApi {
    /// The API role's pool (readiness runs one query through it).
    pub db: Db,
}

#[OpenApi]
impl HealthApi {
    /// Liveness: the process is up and serving HTTP. Touches nothing else.
    #[oai(
        path = "/healthz",
        method = "get",
        operation_id = "getHealth",
        tag = "ApiTags::Health"
    )]
    async fn healthz(&self) -> Result<HealthResponse, ApiError> {
        Ok(HealthResponse::Ok(Json(HealthStatus {
            status: "ok".into(),
        })))
    }

    /// Readiness: the database answers a query as the API role within two seconds.
    #[oai(
        path = "/readyz",
        method = "get",
        operation_id = "getReadiness",
        tag = "ApiTags::Health"
    )]
    async fn readyz(&self) -> Result<HealthResponse, ApiError> {
        let check = self.db.global_tx(&Actor::System, async |tx| {
            tx.execute("select 1", &[]).await.map_err(ApiError::from_db)
        });
        match tokio::time::timeout(Duration::from_secs(2), check).await {
            Ok(Ok(_)) => Ok(HealthResponse::Ok(Json(HealthStatus {
                status: "ready".into(),
            }))),
            Ok(Err(e)) if e.status().is_server_error() => Err(ApiError::unavailable(
                anyhow::anyhow!("readiness check failed: {e}"),
            )),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ApiError::unavailable(anyhow::anyhow!(
                "readiness check timed out"
            ))),
        }
    }
}
