//! The HTTP API surface: shared state, tags, health endpoints, and the OpenAPI service that
//! gathers every domain's endpoints.

use std::time::Duration;

use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService, Tags, payload::Json};

use crate::{
    analytics::{Analytics, api::AnalyticsApi},
    cache::Cache,
    catalog::{admin_api::CatalogAdminApi, api::CatalogApi},
    chat::{api::ChatApi, service::Chat},
    config::Config,
    db::Db,
    error::ApiError,
    identity::{api::AuthApi, service::AuthSettings, staff_api::StaffApi},
    imports::api::ImportsApi,
    inventory::api::InventoryApi,
    media::{MediaStore, api::MediaApi},
    orders::{admin_api::OrdersAdminApi, api::OrdersApi},
    tenants::{Actor, TenantResolver, admin_api::BrandsApi, api::TenantsApi},
};

/// What every handler may reach. Cheap to clone. It holds the API role's pool only; the
/// analytics pool is not here on purpose (it lives inside the analytics module).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tenants: TenantResolver,
    pub auth: AuthSettings,
    pub cache: Cache,
    /// Keys the storefront's order access tokens (`ORDER_TOKEN_SECRET`).
    pub order_token_secret: secrecy::SecretSlice<u8>,
    /// Owner analytics' read models. The BYPASSRLS pool is private inside; see `analytics`.
    pub analytics: Analytics,
    /// The WhatsApp assistant: clients, the product index, counters.
    pub chat: std::sync::Arc<Chat>,
    /// Brand files (imports, product images), keyed by brand.
    pub media: MediaStore,
    /// The largest CSV file an import upload may be (`IMPORT_MAX_BYTES`).
    pub import_max_bytes: usize,
}

impl AppState {
    pub fn new(
        db: Db,
        config: &Config,
        cache: Cache,
        analytics: Analytics,
        chat: std::sync::Arc<Chat>,
        media: MediaStore,
    ) -> Self {
        let tenants = TenantResolver::new(db.clone(), config.tenant_cache_ttl);
        Self {
            db,
            tenants,
            auth: config.auth.clone(),
            cache,
            order_token_secret: config.order_token_secret.clone(),
            analytics,
            chat,
            media,
            import_max_bytes: config.storage.import_max_bytes,
        }
    }
}

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
    /// The WhatsApp assistant's settings and the support console.
    Chat,
    /// Bulk CSV imports of the catalog.
    Imports,
    /// Product images in object storage.
    Media,
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

pub struct HealthApi {
    pub state: AppState,
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
        let check = self.state.db.global_tx(&Actor::System, async |tx| {
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

/// The APIs this service serves, in the spec's order.
pub type Apis = (
    HealthApi,
    AuthApi,
    TenantsApi,
    CatalogApi,
    BrandsApi,
    StaffApi,
    CatalogAdminApi,
    InventoryApi,
    OrdersApi,
    OrdersAdminApi,
    AnalyticsApi,
    ChatApi,
    ImportsApi,
    MediaApi,
);

/// The OpenAPI service for `state`. The spec does not depend on the state.
pub fn service(state: AppState) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            HealthApi {
                state: state.clone(),
            },
            AuthApi {
                state: state.clone(),
            },
            TenantsApi {
                state: state.clone(),
            },
            CatalogApi {
                state: state.clone(),
            },
            BrandsApi {
                state: state.clone(),
            },
            StaffApi {
                state: state.clone(),
            },
            CatalogAdminApi {
                state: state.clone(),
            },
            InventoryApi {
                state: state.clone(),
            },
            OrdersApi {
                state: state.clone(),
            },
            OrdersAdminApi {
                state: state.clone(),
            },
            AnalyticsApi {
                state: state.clone(),
            },
            ChatApi {
                state: state.clone(),
            },
            ImportsApi {
                state: state.clone(),
            },
            MediaApi { state },
        ),
        "brandhouse",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "One backend for several independent brands. Brand-scoped operations take the brand \
         from the `X-Tenant-ID` header (the brand's slug) or, without it, from the `Host` \
         header. Staff operations need `Authorization: Bearer <token>` from `POST /v1/auth/login`; \
         each one names the permission it needs and the roles that hold it. Every error is an RFC 9457 `application/problem+json` document carrying a \
         `request_id`, also sent as the `x-request-id` header.",
    )
}

/// The spec as JSON, generated without touching a database (`brandhouse openapi`, the drift
/// test).
pub fn spec_json() -> String {
    let config = Config::from_lookup(|_| None).expect("the default configuration is valid");
    let db = Db::new(&config.db).expect("building a pool opens no connection");
    let analytics = Analytics::new(&config).expect("building a pool opens no connection");
    let chat = Chat::new(
        config.chat.clone(),
        std::sync::Arc::new(crate::search::memory::MemoryIndex::new()),
    )
    .expect("building HTTP clients connects nowhere");
    service(AppState::new(
        db,
        &config,
        Cache::disabled(),
        analytics,
        std::sync::Arc::new(chat),
        MediaStore::in_memory(),
    ))
    .spec()
}
