//! Prometheus metrics: `GET /metrics` in the OpenMetrics text format, behind a bearer token.
//!
//! What is measured, and where:
//! - HTTP requests (the request middleware in `startup`): a counter and a latency histogram
//!   per route *template* (`/v1/admin/products/{number}`, never the raw path), method and
//!   status; requests per brand, labelled with the brand's slug only, and only once the brand
//!   was resolved (an unknown `X-Tenant-ID` never becomes a label), at most
//!   `METRICS_MAX_BRANDS` slugs, the rest counted as `other`.
//! - Read at scrape time: the API pool (in use, idle, waiting, max) and the job queue (depth
//!   per kind and status, age of the oldest due job per kind), see [`Snapshot`].
//! - Counted where the work happens, process-wide: outbound calls to the Graph API, the chat
//!   (LLM) API and the embeddings API by outcome ([`outbound`]), and storefront cache lookups
//!   by result ([`cache_lookup`]); hit ratio = hits / lookups.
//!
//! Every label value comes from a closed set (route templates, methods, status codes, job
//! kinds, outcomes) or is a resolved brand's slug under the cap: a client cannot make series
//! up, and no id, name, email or phone number is ever a label.

use std::{
    collections::HashSet,
    sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError},
    time::Duration,
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use secrecy::ExposeSecret as _;
#[cfg(test)]
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};

pub use crate::config::MetricsSettings;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The label value of brands past `METRICS_MAX_BRANDS`, and of routes outside the spec.
const OTHER: &str = "other";

/// Latency buckets in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BrandLabels {
    brand: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

/// The outbound APIs whose calls are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Meta's Graph API (WhatsApp sends, read receipts, number checks).
    Graph,
    /// The OpenAI-compatible chat completions API (assistant replies).
    Llm,
    /// The OpenAI-compatible embeddings API (dense vectors for search).
    Embeddings,
}

impl Service {
    fn as_str(self) -> &'static str {
        match self {
            Service::Graph => "graph",
            Service::Llm => "llm",
            Service::Embeddings => "embeddings",
        }
    }
}

/// How an outbound call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer the client could use.
    Ok,
    /// Worth retrying: a timeout, a connection failure, a 429 or a 5xx.
    Transient,
    /// Retrying cannot help: a 4xx, an answer of the wrong shape.
    Permanent,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Transient => "transient",
            Outcome::Permanent => "permanent",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutboundLabels {
    service: &'static str,
    outcome: &'static str,
}

/// The result of a storefront cache lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheResult {
    Hit,
    Miss,
    /// Redis failed or is down: served from the database.
    Error,
}

impl CacheResult {
    fn as_str(self) -> &'static str {
        match self {
            CacheResult::Hit => "hit",
            CacheResult::Miss => "miss",
            CacheResult::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    result: &'static str,
}

/// Outbound calls, counted process-wide where the clients make them (the clients are built
/// deep inside the assistant and the index; every [`Metrics`] registry exposes this family).
static OUTBOUND: LazyLock<Family<OutboundLabels, Counter>> = LazyLock::new(Family::default);

/// Storefront cache lookups, process-wide like [`OUTBOUND`].
static CACHE: LazyLock<Family<CacheLabels, Counter>> = LazyLock::new(Family::default);

/// Counts one outbound call to `service` that ended with `outcome`.
pub fn outbound(service: Service, outcome: Outcome) {
    OUTBOUND
        .get_or_create(&OutboundLabels {
            service: service.as_str(),
            outcome: outcome.as_str(),
        })
        .inc();
}

/// Counts one storefront cache lookup.
pub fn cache_lookup(result: CacheResult) {
    CACHE
        .get_or_create(&CacheLabels {
            result: result.as_str(),
        })
        .inc();
}

/// What is read at scrape time, gathered by the composition root (pool and queue live in
/// layers this module must not reach).
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The API pool's occupancy.
    pub pool: Option<deadpool_postgres::Status>,
    /// Per job kind: (kind, queued, running, parked, oldest due job's age in seconds).
    pub jobs: Vec<(String, i64, i64, i64, f64)>,
    /// False when the queue could not be read (the database is down): the queue gauges keep
    /// their last values and `brandhouse_metrics_scrape_errors_total` counts it.
    pub jobs_read: bool,
}

/// One process's metrics. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    latency: Family<HttpLabels, Histogram>,
    brand_requests: Family<BrandLabels, Counter>,
    /// The slugs given their own label so far (at most `max_brands`).
    brands: Mutex<HashSet<String>>,
    max_brands: usize,
    pool: Family<PoolLabels, Gauge>,
    jobs: Family<JobLabels, Gauge>,
    oldest_due: Family<KindLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    scrape_errors: Counter,
    /// SHA-256 of the token: compared digest to digest, so the comparison's time says nothing
    /// about the token.
    token_digest: Option<[u8; 32]>,
}

impl Metrics {
    pub fn new(settings: &MetricsSettings) -> Self {
        let mut registry = Registry::with_prefix("brandhouse");
        let requests = Family::<HttpLabels, Counter>::default();
        let latency = Family::<HttpLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(LATENCY_BUCKETS)) as fn() -> Histogram,
        );
        let brand_requests = Family::<BrandLabels, Counter>::default();
        let pool = Family::<PoolLabels, Gauge>::default();
        let jobs = Family::<JobLabels, Gauge>::default();
        let oldest_due = Family::<KindLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        let scrape_errors = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template, method and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "HTTP request latency by route template, method and status",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );
        registry.register(
            "brand_requests",
            "HTTP requests per resolved brand (slug; brands past METRICS_MAX_BRANDS are 'other')",
            brand_requests.clone(),
        );
        registry.register(
            "db_pool_connections",
            "API pool connections by state (in_use, idle, waiting = requests waiting, max)",
            pool.clone(),
        );
        registry.register("jobs", "Unfinished jobs by kind and status", jobs.clone());
        registry.register_with_unit(
            "jobs_oldest_due_age",
            "Age of the oldest due job still waiting, by kind (0 when none is waiting)",
            prometheus_client::registry::Unit::Seconds,
            oldest_due.clone(),
        );
        registry.register(
            "outbound_calls",
            "Calls to the Graph, LLM and embeddings APIs by outcome (process-wide)",
            OUTBOUND.clone(),
        );
        registry.register(
            "cache_lookups",
            "Storefront cache lookups by result; hit ratio = hit / all (process-wide)",
            CACHE.clone(),
        );
        registry.register(
            "metrics_scrape_errors",
            "Scrapes that could not read the job queue",
            scrape_errors.clone(),
        );
        // Every outbound and cache series exists from the start (at 0), so rates and ratios
        // are defined before the first call.
        for service in [Service::Graph, Service::Llm, Service::Embeddings] {
            for outcome in [Outcome::Ok, Outcome::Transient, Outcome::Permanent] {
                let _ = OUTBOUND.get_or_create(&OutboundLabels {
                    service: service.as_str(),
                    outcome: outcome.as_str(),
                });
            }
        }
        for result in [CacheResult::Hit, CacheResult::Miss, CacheResult::Error] {
            let _ = CACHE.get_or_create(&CacheLabels {
                result: result.as_str(),
            });
        }
        let token_digest = settings
            .token
            .as_ref()
            .map(|t| Sha256::digest(t.expose_secret().as_bytes()).into());
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                latency,
                brand_requests,
                brands: Mutex::new(HashSet::new()),
                max_brands: settings.max_brands,
                pool,
                jobs,
                oldest_due,
                scrape_errors,
                token_digest,
            }),
        }
    }

    /// Whether `GET /metrics` is served at all (a token is configured).
    pub fn enabled(&self) -> bool {
        self.inner.token_digest.is_some()
    }

    /// Whether an `Authorization` header value carries the configured token.
    pub fn authorized(&self, authorization: Option<&str>) -> bool {
        let (Some(expected), Some(given)) = (
            &self.inner.token_digest,
            authorization.and_then(|v| v.strip_prefix("Bearer ")),
        ) else {
            return false;
        };
        let given: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
        &given == expected
    }

    /// Records one finished request. `route` is the route template (or `None` outside the
    /// spec), `brand` the resolved brand's slug, if the request resolved one.
    pub fn observe_request(
        &self,
        route: Option<&str>,
        method: &poem::http::Method,
        status: u16,
        elapsed: Duration,
        brand: Option<&str>,
    ) {
        let labels = HttpLabels {
            route: route.unwrap_or(OTHER).to_owned(),
            method: method_label(method),
            status,
        };
        self.inner.requests.get_or_create(&labels).inc();
        self.inner
            .latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if let Some(slug) = brand {
            let brand = self.brand_label(slug);
            self.inner
                .brand_requests
                .get_or_create(&BrandLabels { brand })
                .inc();
        }
    }

    /// The slug itself while fewer than `max_brands` slugs have a label, else `other`.
    fn brand_label(&self, slug: &str) -> String {
        let mut brands = self
            .inner
            .brands
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if brands.contains(slug) {
            return slug.to_owned();
        }
        if brands.len() < self.inner.max_brands {
            brands.insert(slug.to_owned());
            return slug.to_owned();
        }
        OTHER.to_owned()
    }

    /// The exposition: `snapshot`'s gauges set, then every metric encoded.
    pub fn render(&self, snapshot: &Snapshot) -> Result<String, std::fmt::Error> {
        let inner = &self.inner;
        if let Some(pool) = snapshot.pool {
            let in_use = pool.size.saturating_sub(pool.available);
            for (state, value) in [
                ("in_use", in_use),
                ("idle", pool.available),
                ("waiting", pool.waiting),
                ("max", pool.max_size),
            ] {
                inner
                    .pool
                    .get_or_create(&PoolLabels { state })
                    .set(i64::try_from(value).unwrap_or(i64::MAX));
            }
        }
        if snapshot.jobs_read {
            for (kind, queued, running, parked, oldest) in &snapshot.jobs {
                for (status, value) in
                    [("queued", queued), ("running", running), ("parked", parked)]
                {
                    inner
                        .jobs
                        .get_or_create(&JobLabels {
                            kind: kind.clone(),
                            status,
                        })
                        .set(*value);
                }
                inner
                    .oldest_due
                    .get_or_create(&KindLabels { kind: kind.clone() })
                    .set(*oldest);
            }
        } else {
            inner.scrape_errors.inc();
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &inner.registry)?;
        Ok(out)
    }
}

/// The standard methods by name; anything else is `other`, so a client cannot invent series.
fn method_label(method: &poem::http::Method) -> &'static str {
    use poem::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => OTHER,
    }
}

/// Where the brand extractor leaves the slug of the brand a request resolved, for the request
/// middleware to label the request with after it ran. One per request, in the request's
/// extensions; set once.
#[derive(Clone, Default)]
pub struct BrandSlot(Arc<OnceLock<String>>);

impl BrandSlot {
    /// Notes the resolved brand of the request carrying this slot (the first one wins).
    pub fn note(&self, slug: &str) {
        let _ = self.0.set(slug.to_owned());
    }

    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(max_brands: usize) -> Metrics {
        Metrics::new(&MetricsSettings {
            token: Some(SecretString::from("a-long-enough-metrics-token")),
            max_brands,
        })
    }

    #[test]
    fn the_token_must_match_exactly() {
        let m = metrics(10);
        assert!(m.authorized(Some("Bearer a-long-enough-metrics-token")));
        for wrong in [
            None,
            Some(""),
            Some("a-long-enough-metrics-token"),
            Some("Bearer a-long-enough-metrics-toke"),
            Some("Basic a-long-enough-metrics-token"),
        ] {
            assert!(!m.authorized(wrong), "{wrong:?}");
        }
        let off = Metrics::new(&MetricsSettings::default());
        assert!(!off.enabled());
        assert!(!off.authorized(Some("Bearer ")));
    }

    #[test]
    fn brands_past_the_cap_are_counted_as_other() {
        let m = metrics(2);
        for slug in ["a", "b", "c", "d", "a"] {
            m.observe_request(
                Some("/v1/storefront/theme"),
                &poem::http::Method::GET,
                200,
                Duration::from_millis(3),
                Some(slug),
            );
        }
        let text = m.render(&Snapshot::default()).unwrap();
        assert!(
            text.contains(r#"brandhouse_brand_requests_total{brand="a"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"brandhouse_brand_requests_total{brand="b"} 1"#));
        assert!(text.contains(r#"brandhouse_brand_requests_total{brand="other"} 2"#));
        assert!(!text.contains(r#"brand="c""#));
    }

    #[test]
    fn invented_methods_do_not_make_series() {
        let m = metrics(2);
        let odd = poem::http::Method::from_bytes(b"BREW").unwrap();
        m.observe_request(None, &odd, 405, Duration::from_millis(1), None);
        let text = m.render(&Snapshot::default()).unwrap();
        assert!(!text.contains("BREW"));
        assert!(
            text.contains(r#"route="other",method="other",status="405""#),
            "{text}"
        );
    }
}
