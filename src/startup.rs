//! Building and running the HTTP service.
//!
//! [`Application::build`] checks the API role, builds the state and binds the listener before
//! serving (port 0 in tests), so callers learn the port first. The middleware stack, outermost
//! first: request context (request id, tracing span, problem+json for every error, access log)
//! -> panic catcher -> body limit -> routes. The body limit is `REQUEST_BODY_LIMIT_BYTES` for
//! every route except the two upload routes ([`BodyLimits`]).

use std::{collections::HashMap, future::Future, sync::Arc, time::Instant};

use anyhow::Context as _;
use futures::StreamExt as _;
use poem::{
    Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route,
    http::HeaderValue,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
    middleware::CatchPanic,
};
use poem_openapi::{OpenApiService, OperationId};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, field::Empty};

use crate::{
    analytics::{Analytics, api::AnalyticsApi},
    api::{
        HealthApi,
        web::{self, WebApp},
    },
    cache::Cache,
    catalog::{admin_api::CatalogAdminApi, api::CatalogApi},
    chat::{
        api::ChatApi,
        service::{self as chat, Chat},
    },
    config::Config,
    db::Db,
    delivery::api::DeliveryApi,
    error::{ApiError, PanicToProblem, REQUEST_ID, problem_response},
    events::{api::EventsApi, hub::Hub, service::StreamSettings, ticket::Tickets},
    identity::{api::AuthApi, service::AuthSettings, staff_api::StaffApi},
    imports::{
        api::ImportsApi,
        job::{self as import_job, ImportService},
    },
    inventory::api::InventoryApi,
    invoices::{api::InvoicesApi, service as invoices, service::Invoicing},
    jobs::{self, Claimed, JobError, JobKind, WorkerSettings},
    media::{MediaStore, api::MediaApi, service::MAX_IMAGE_BYTES},
    notify::{self, api::NotificationsApi, service::Notifier},
    orders::{
        admin_api::OrdersAdminApi, api::OrdersApi, lifecycle, returns::admin_api::ReturnsAdminApi,
    },
    promotions::api::PromotionsApi,
    scope::TenantScope,
    tenants::{TenantResolver, admin_api::BrandsApi, api::TenantsApi},
    webhooks::{
        api::WebhooksApi,
        service::{self as webhooks, Webhooks},
    },
};

/// The response header carrying the request id (also accepted from a trusted proxy).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The shared parts the composition root hands to the endpoints and the job handlers. Cheap
/// to clone. It holds the API role's pool only; the analytics pool is not here on purpose (it
/// lives inside the analytics module). Nothing below this module sees the whole state: each
/// endpoint group and each service gets the parts it uses.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tenants: TenantResolver,
    pub auth: AuthSettings,
    /// One bound on concurrent login password checks for the whole process.
    pub hash_gate: crate::identity::password::HashGate,
    pub cache: Cache,
    /// Issues and checks storefront order tokens (`ORDER_TOKEN_SECRET`, `ORDER_TOKEN_TTL_DAYS`).
    pub order_tokens: crate::orders::token::OrderTokens,
    /// Owner analytics' read models. The BYPASSRLS pool is private inside; see `analytics`.
    pub analytics: Analytics,
    /// The WhatsApp assistant: clients, the product index, counters, with the pool.
    pub chat: Arc<Chat>,
    /// Brand files (imports, product images), keyed by brand.
    pub media: MediaStore,
    /// Customer notifications: the pool and the assistant's Graph API client.
    pub notifier: Notifier,
    /// Invoices: the pool and the brand-keyed store their PDFs go to.
    pub invoicing: Invoicing,
    /// Import uploads and jobs.
    pub imports: ImportService,
    /// Quotas per route group, checked before any handler runs.
    pub rate_limits: crate::ratelimit::RateLimiter,
    /// Request counters and latency, exposed with the pool and queue gauges at `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// The `LISTEN` connection that wakes event streams.
    pub events: Hub,
    /// Stream tickets (keyed by `ORDER_TOKEN_SECRET`).
    pub tickets: Tickets,
    pub stream_settings: StreamSettings,
    /// Outbound webhooks: endpoints, delivery, pruning.
    pub webhooks: Webhooks,
}

impl AppState {
    pub fn new(
        db: Db,
        tenants: TenantResolver,
        config: &Config,
        cache: Cache,
        analytics: Analytics,
        chat: Arc<Chat>,
        media: MediaStore,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            webhooks: Webhooks::new(db.clone(), tenants.clone(), config.webhooks)
                .context("building the webhook delivery client")?,
            imports: ImportService {
                db: db.clone(),
                media: media.clone(),
                cache: cache.clone(),
                import_max_bytes: config.storage.import_max_bytes,
            },
            notifier: Notifier {
                db: db.clone(),
                graph: chat.graph.clone(),
            },
            invoicing: Invoicing {
                db: db.clone(),
                media: media.clone(),
            },
            chat,
            db,
            tenants,
            auth: config.auth.clone(),
            hash_gate: crate::identity::password::HashGate::new(
                config.auth.max_concurrent_hashes,
                config.auth.hash_wait,
                config.auth.hash_cpu_percent,
            ),
            cache,
            order_tokens: crate::orders::token::OrderTokens::new(
                config.order_token_secret.clone(),
                config.order_token_ttl,
            ),
            analytics,
            media,
            rate_limits: rate_limiter(config),
            metrics: crate::metrics::Metrics::new(&config.metrics),
            events: Hub::new(config.db.api.clone(), config.db.connect_timeout),
            tickets: Tickets::new(config.order_token_secret.clone(), config.events.ticket_ttl),
            stream_settings: StreamSettings {
                buffer: config.events.buffer,
                send_timeout: config.events.send_timeout,
                heartbeat: config.events.heartbeat,
                poll: config.events.poll,
            },
        })
    }

    /// The job queue as the worker sees it.
    pub fn queue(&self) -> jobs::Queue {
        jobs::Queue {
            db: self.db.clone(),
            tenants: self.tenants.clone(),
        }
    }

    /// Claims and runs one batch of due jobs with this state's handlers; returns how many ran
    /// (the worker's step, also called by tests to run background work explicitly).
    pub async fn run_due_jobs(
        &self,
        settings: &WorkerSettings,
    ) -> Result<usize, crate::db::DbError> {
        jobs::run_due(&self.queue(), &JobHandlers(self.clone()), settings).await
    }
}

/// Dispatches each job kind to the domain service that does it.
struct JobHandlers(AppState);

#[async_trait::async_trait]
impl jobs::Handler for JobHandlers {
    async fn run(&self, kind: JobKind, scope: &TenantScope, job: &Claimed) -> Result<(), JobError> {
        let state = &self.0;
        match kind {
            JobKind::ExpireOrder => lifecycle::expire_order(&state.db, scope, job.ref_id()?).await,
            JobKind::ChatReply => chat::reply(&state.chat, scope, job.ref_id()?).await,
            JobKind::ReindexProduct => chat::reindex(&state.chat, scope, Some(&[job.ref_id()?]))
                .await
                .map(|_| ()),
            JobKind::ReindexBrand => chat::reindex(&state.chat, scope, None).await.map(|_| ()),
            JobKind::ImportProducts => {
                import_job::run(&state.imports, scope, job.ref_id()?, job.is_last_attempt()).await
            }
            JobKind::DeliverWebhook => {
                webhooks::deliver(&state.webhooks, scope, job.ref_id()?, job.is_last_attempt())
                    .await
            }
            JobKind::NotifyCustomer => {
                notify::service::send(
                    &state.notifier,
                    scope,
                    &job.reference,
                    job.is_last_attempt(),
                )
                .await
            }
            JobKind::RenderInvoice => {
                invoices::render(&state.invoicing, scope, job.ref_id()?).await
            }
            JobKind::RenderCreditNote => {
                crate::invoices::credit_notes::render(&state.invoicing, scope, job.ref_id()?).await
            }
        }
    }

    async fn hourly(&self) {
        let state = &self.0;
        match crate::identity::service::purge_login_throttle(&state.db, &state.auth).await {
            Ok(n) => tracing::debug!(rows = n, "stale login throttle rows removed"),
            Err(e) => tracing::warn!(error = %e, "could not purge login throttle rows"),
        }
        match webhooks::prune(&state.webhooks).await {
            Ok(n) => tracing::debug!(rows = n, "old webhook deliveries pruned"),
            Err(e) => tracing::warn!(error = %e, "could not prune webhook deliveries"),
        }
    }
}

/// The rate limiter: shared through Redis when `REDIS_URL` is set, else in this process.
fn rate_limiter(config: &Config) -> crate::ratelimit::RateLimiter {
    use crate::ratelimit::RateLimiter;
    let settings = config.rate_limits.clone();
    match &config.redis_url {
        Some(url) => match crate::cache::redis_client(url, config.redis_timeout) {
            Ok(client) => RateLimiter::shared(settings, client),
            Err(e) => {
                tracing::warn!(error = %e, "rate limits counted in process: Redis client failed");
                RateLimiter::local(settings)
            }
        },
        None => RateLimiter::local(settings),
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
    // poem-openapi implements `OpenApi` for tuples of up to 16: the newer groups nest.
    (
        ReturnsAdminApi,
        EventsApi,
        WebhooksApi,
        NotificationsApi,
        InvoicesApi,
        DeliveryApi,
        PromotionsApi,
    ),
);

/// The OpenAPI service for `state`: each endpoint group gets the parts it uses. The spec does
/// not depend on the state.
pub fn service(state: AppState) -> OpenApiService<Apis, ()> {
    let db = || state.db.clone();
    OpenApiService::new(
        (
            HealthApi { db: db() },
            AuthApi {
                db: db(),
                auth: state.auth.clone(),
                gate: state.hash_gate.clone(),
                tenants: state.tenants.clone(),
                rate_limits: state.rate_limits.clone(),
            },
            TenantsApi { db: db() },
            CatalogApi {
                db: db(),
                cache: state.cache.clone(),
                media: state.media.clone(),
            },
            BrandsApi {
                db: db(),
                tenants: state.tenants.clone(),
            },
            StaffApi {
                db: db(),
                invitation_ttl: state.auth.invitation_ttl,
            },
            CatalogAdminApi {
                db: db(),
                cache: state.cache.clone(),
            },
            InventoryApi {
                db: db(),
                cache: state.cache.clone(),
            },
            OrdersApi {
                db: db(),
                cache: state.cache.clone(),
                order_tokens: state.order_tokens.clone(),
            },
            OrdersAdminApi {
                db: db(),
                cache: state.cache.clone(),
            },
            AnalyticsApi {
                db: db(),
                analytics: state.analytics.clone(),
            },
            ChatApi {
                service: state.chat.clone(),
            },
            ImportsApi {
                imports: state.imports.clone(),
            },
            MediaApi {
                db: db(),
                cache: state.cache.clone(),
                media: state.media.clone(),
            },
            (
                ReturnsAdminApi {
                    db: db(),
                    cache: state.cache.clone(),
                },
                EventsApi {
                    db: db(),
                    tenants: state.tenants.clone(),
                    hub: state.events.clone(),
                    analytics: state.analytics.clone(),
                    tickets: state.tickets.clone(),
                    settings: state.stream_settings,
                },
                WebhooksApi {
                    hooks: state.webhooks.clone(),
                },
                NotificationsApi { db: db() },
                InvoicesApi {
                    invoicing: state.invoicing.clone(),
                    order_tokens: state.order_tokens.clone(),
                },
                DeliveryApi { db: db() },
                PromotionsApi { db: db() },
            ),
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
/// test). The default configuration and lazily connecting clients do not fail in practice; if
/// one did, the drift test would report it at once.
pub fn spec_json() -> anyhow::Result<String> {
    let state = {
        let config = Config::from_lookup(|_| None)?;
        let db = Db::new(&config.db)?;
        let analytics = Analytics::new(&config)?;
        let tenants = TenantResolver::new(db.clone(), config.tenant_cache_ttl);
        let chat = Chat::new(
            config.chat.clone(),
            Arc::new(crate::search::memory::MemoryIndex::new()),
            db.clone(),
            tenants.clone(),
        )?;
        AppState::new(
            db,
            tenants,
            &config,
            Cache::disabled(),
            analytics,
            Arc::new(chat),
            MediaStore::in_memory(),
        )?
    };
    Ok(service(state).spec())
}

/// A bound, ready-to-run service.
pub struct Application {
    acceptor: TcpAcceptor,
    port: u16,
    state: AppState,
    config: Config,
}

impl Application {
    /// Connects, verifies the API role, and binds `config.bind_addr`.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = Db::connect(&config.db).await?;
        let cache = match &config.redis_url {
            Some(url) => Cache::connect(url, config.cache_ttl, config.redis_timeout)?,
            None => Cache::disabled(),
        };
        let analytics = Analytics::new(&config)?;
        let index = crate::search::open_index(&config.search)
            .context("opening the product index (DATA_DIR or QDRANT_URL)")?;
        let tenants = TenantResolver::new(db.clone(), config.tenant_cache_ttl);
        let chat = Arc::new(Chat::new(
            config.chat.clone(),
            index,
            db.clone(),
            tenants.clone(),
        )?);
        let media = MediaStore::from_settings(&config.storage)
            .context("opening object storage (DATA_DIR or S3_*)")?;
        let state = AppState::new(db, tenants, &config, cache, analytics, chat, media)?;
        let acceptor = TcpListener::bind(config.bind_addr)
            .into_acceptor()
            .await
            .with_context(|| format!("binding {}", config.bind_addr))?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .context("the listener has no TCP address")?;
        Ok(Self {
            acceptor,
            port,
            state,
            config,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight requests
    /// finish for up to `SHUTDOWN_GRACE_SECS` (a rolling deploy loses no accepted request);
    /// meanwhile the job worker finishes its jobs in hand and hands the claimed jobs it has
    /// not started back to the queue for the other replicas.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if self.config.order_token_secret_generated {
            tracing::warn!(
                "ORDER_TOKEN_SECRET is not set: order access tokens are keyed per process and \
                 will not survive a restart or work across replicas"
            );
        }
        if self.config.worker.enabled
            && let Err(e) = chat::queue_indexing_of_unindexed_brands(&self.state.chat).await
        {
            tracing::warn!(error = %e, "could not check the product index");
        }
        // One signal for every task: the HTTP server and the background worker.
        let stop = CancellationToken::new();
        let worker = self.config.worker.enabled.then(|| {
            tokio::spawn(jobs::run_worker(
                self.state.queue(),
                Arc::new(JobHandlers(self.state.clone())),
                self.config.worker.clone(),
                stop.clone(),
            ))
        });
        let grace = self.config.shutdown_grace;
        let hub = self.state.events.clone();
        let app = routes(self.state, BodyLimits::from_config(&self.config));
        let signal = stop.clone();
        let result = poem::Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                app,
                async move {
                    tokio::select! {
                        () = shutdown => {},
                        () = signal.cancelled() => {},
                    }
                    // The worker stops claiming and hands back what it has not started while
                    // the server drains in-flight requests.
                    signal.cancel();
                    // Event streams never end by themselves: end them, so the graceful
                    // shutdown waits for ordinary requests only.
                    hub.shutdown();
                },
                Some(grace),
            )
            .await;
        stop.cancel();
        if let Some(worker) = worker {
            // The worker finishes the jobs in hand, then exits. One that outlives the grace
            // period is dropped (its transaction rolls back) and its claim lapses after
            // JOB_CLAIM_SECS, when another replica runs it again.
            let abort = worker.abort_handle();
            if tokio::time::timeout(grace, worker).await.is_err() {
                abort.abort();
                tracing::warn!("job worker still busy after SHUTDOWN_GRACE_SECS; abandoned");
            }
        }
        result
    }
}

/// Room for the multipart framing around an upload.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// Request body limits: `REQUEST_BODY_LIMIT_BYTES` everywhere, except the two upload routes,
/// which get what their files need (and no other route does).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub default: usize,
    /// `POST /v1/admin/products/{number}/media`: a 10 MiB image.
    pub media: usize,
    /// `POST /v1/admin/imports`: `IMPORT_MAX_BYTES`.
    pub imports: usize,
}

impl BodyLimits {
    pub fn from_config(config: &Config) -> Self {
        let default = config.body_limit_bytes;
        Self {
            default,
            media: default.max(MAX_IMAGE_BYTES + MULTIPART_OVERHEAD),
            imports: default.max(config.storage.import_max_bytes + MULTIPART_OVERHEAD),
        }
    }

    /// The limit for one request.
    pub fn for_request(&self, method: &poem::http::Method, path: &str) -> usize {
        if method != poem::http::Method::POST {
            return self.default;
        }
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        match segments.as_slice() {
            ["", "v1", "admin", "imports"] => self.imports,
            ["", "v1", "admin", "products", number, "media"]
                if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) =>
            {
                self.media
            }
            _ => self.default,
        }
    }
}

/// The whole HTTP application for `state`.
pub fn routes(state: AppState, limits: BodyLimits) -> impl Endpoint<Output = Response> {
    let service = service(state.clone());
    let rate_limits = state.rate_limits.clone();
    let route_names = Arc::new(route_names(&service.spec()));
    let spec = service.spec_endpoint();
    let docs = service.swagger_ui();
    let metrics = state.metrics.clone();
    let scrape = {
        let (metrics, db) = (state.metrics.clone(), state.db.clone());
        poem::endpoint::make(move |req| {
            let (metrics, db) = (metrics.clone(), db.clone());
            async move { metrics_endpoint(&metrics, &db, &req).await }
        })
    };
    Route::new()
        .nest("/docs", docs)
        .at("/openapi.json", spec)
        .at("/metrics", poem::get(scrape))
        .nest("/console", web::endpoint(WebApp::Console))
        .nest("/shop", web::endpoint(WebApp::Shop))
        .nest("/", service)
        .with(CatchPanic::new().with_handler(PanicToProblem))
        // What extractors read from the request: brand lookups and the pool for bearer tokens.
        .data(state.tenants.clone())
        .data(state.db.clone())
        .around(move |ep, req| {
            let route_names = route_names.clone();
            let rate_limits = rate_limits.clone();
            let metrics = metrics.clone();
            async move { Ok(handle(ep, req, &route_names, limits, &rate_limits, &metrics).await) }
        })
}

/// `GET /metrics`: 404 unless `METRICS_TOKEN` is set, 401 without it, else the exposition with
/// the pool and the job queue read now.
async fn metrics_endpoint(
    metrics: &crate::metrics::Metrics,
    db: &Db,
    req: &Request,
) -> poem::Result<Response> {
    if !metrics.enabled() {
        return Err(ApiError::not_found("metrics are off (set METRICS_TOKEN)").into());
    }
    let authorization = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !metrics.authorized(authorization) {
        let refused = ApiError::unauthorized("send Authorization: Bearer <METRICS_TOKEN>");
        let mut resp = poem::error::ResponseError::as_response(&refused);
        resp.headers_mut().insert(
            poem::http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return Ok(resp);
    }
    // Bounded, so a scrape during a database outage still answers (with the request and pool
    // figures) within a scraper's timeout.
    let jobs = match tokio::time::timeout(std::time::Duration::from_secs(2), jobs::depth(db)).await
    {
        Ok(Ok(depth)) => Ok(depth),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    };
    if let Err(e) = &jobs {
        tracing::warn!(error = %e, "metrics: could not read the job queue");
    }
    let snapshot = crate::metrics::Snapshot {
        pool: Some(db.status()),
        jobs_read: jobs.is_ok(),
        jobs: jobs
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.kind, d.queued, d.running, d.parked, d.oldest_due_secs))
            .collect(),
    };
    let body = metrics
        .render(&snapshot)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(Response::builder()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(body))
}

/// The `route` label of a request outside the spec: the fixed paths by name, anything else
/// (unknown paths) as one `other`, so scanning for URLs cannot make series.
fn route_outside_spec(path: &str) -> Option<&'static str> {
    match path {
        "/metrics" => Some("/metrics"),
        "/openapi.json" => Some("/openapi.json"),
        p if p == "/docs" || p.starts_with("/docs/") => Some("/docs"),
        p if p == "/console" || p.starts_with("/console/") => Some("/console"),
        p if p == "/shop" || p.starts_with("/shop/") => Some("/shop"),
        _ => None,
    }
}

/// operationId -> path template, for the `http.route` span attribute.
fn route_names(spec: &str) -> HashMap<String, String> {
    let spec: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
    let mut out = HashMap::new();
    if let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) {
        for (path, ops) in paths {
            for op in ops.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                    out.insert(id.to_owned(), path.clone());
                }
            }
        }
    }
    out
}

fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// The request context middleware: one span and one request id per request, every error as
/// problem+json, the body limit, and one access-log line.
async fn handle<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    route_names: &HashMap<String, String>,
    limits: BodyLimits,
    rate_limits: &crate::ratelimit::RateLimiter,
    metrics: &crate::metrics::Metrics,
) -> Response {
    let body_limit = limits.for_request(req.method(), req.uri().path());
    let brand = crate::metrics::BrandSlot::default();
    req.set_data(brand.clone());
    let fixed_route = route_outside_spec(req.uri().path());
    let http_method = req.method().clone();
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let span = tracing::info_span!(
        "http.request",
        otel.name = %method,
        otel.kind = "server",
        http.request.method = %method,
        http.route = Empty,
        http.response.status_code = Empty,
        url.path = %req.uri().path(),
        request.id = %id,
        tenant.id = Empty,
        enduser.id = Empty,
    );

    let (mut resp, operation) = REQUEST_ID
        .scope(
            id.clone(),
            async {
                if let Err(too_large) = limit_body(&mut req, body_limit) {
                    return (poem::error::ResponseError::as_response(&too_large), None);
                }
                // Over a quota: refused before any handler, password check or transaction.
                let rate = match rate_limits.admit(&req).await {
                    Ok(rate) => rate,
                    Err(refused) => {
                        let problem = ApiError::too_many_requests(refused.retry_after_secs);
                        let mut resp = poem::error::ResponseError::as_response(&problem);
                        refused.headers.apply(&mut resp);
                        return (resp, None);
                    }
                };
                // PostgreSQL cannot take a NUL in text: refuse it here, as the client's error,
                // rather than let a parameter turn it into a 500 (JSON bodies are parsed into
                // types that refuse it).
                if crate::types::uri_has_nul(&req.uri().to_string()) {
                    let bad = crate::error::ApiError::bad_request(
                        "the URL contains a NUL character (%00)",
                    );
                    return (poem::error::ResponseError::as_response(&bad), None);
                }
                let (mut resp, op) = match ep.call(req).await {
                    Ok(out) => {
                        let resp = out.into_response();
                        let op = resp.data::<OperationId>().map(|o| o.0);
                        (resp, op)
                    }
                    Err(err) => {
                        let op = err.data::<OperationId>().map(|o| o.0);
                        (problem_response(err), op)
                    }
                };
                if let Some(rate) = rate {
                    rate.apply(&mut resp);
                }
                (resp, op)
            }
            .instrument(span.clone()),
        )
        .await;
    let route = operation.and_then(|op| route_names.get(op));
    if let Some(route) = route {
        span.record("http.route", route.as_str());
        span.record("otel.name", format!("{method} {route}"));
    }

    let status = resp.status();
    metrics.observe_request(
        route.map(String::as_str).or(fixed_route),
        &http_method,
        status.as_u16(),
        started.elapsed(),
        brand.get(),
    );
    span.record("http.response.status_code", status.as_u16());
    if let Ok(value) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let _enter = span.enter();
    let duration_ms = started.elapsed().as_secs_f64() * 1e3;
    if status.is_server_error() {
        tracing::warn!(
            http.response.status_code = status.as_u16(),
            duration_ms,
            "request"
        );
    } else {
        tracing::info!(
            http.response.status_code = status.as_u16(),
            duration_ms,
            "request"
        );
    }
    resp
}

/// Rejects a declared body over the limit with 413, and caps an undeclared (chunked) one: it
/// fails to read past the limit.
fn limit_body(req: &mut Request, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > limit as u64 => Err(ApiError::payload_too_large(limit)),
        Some(_) => Ok(()), // hyper enforces the declared length
        None => {
            let mut seen = 0usize;
            let stream = req.take_body().into_bytes_stream().map(move |chunk| {
                let chunk = chunk?;
                seen += chunk.len();
                if seen > limit {
                    return Err(std::io::Error::other(format!(
                        "request body exceeds {limit} bytes"
                    )));
                }
                Ok(chunk)
            });
            req.set_body(Body::from_bytes_stream(stream));
            Ok(())
        }
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upload_routes_get_a_larger_body_limit() {
        let limits = BodyLimits {
            default: 1024,
            media: 10_000,
            imports: 20_000,
        };
        let post = poem::http::Method::POST;
        assert_eq!(limits.for_request(&post, "/v1/admin/imports"), 20_000);
        assert_eq!(
            limits.for_request(&post, "/v1/admin/products/42/media"),
            10_000
        );
        assert_eq!(
            limits.for_request(&post, "/v1/admin/products/42/media/"),
            10_000
        );
        for path in [
            "/v1/admin/products",
            "/v1/admin/products/x/media",
            "/v1/admin/products/42/media/extra",
            "/v1/admin/imports/1",
            "/v1/storefront/checkouts",
        ] {
            assert_eq!(limits.for_request(&post, path), 1024, "{path}");
        }
        assert_eq!(
            limits.for_request(&poem::http::Method::PUT, "/v1/admin/imports"),
            1024
        );
    }
}
