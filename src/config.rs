//! Configuration from environment variables, parsed and validated once at start-up.
//!
//! Every variable is documented in README.md and `.env.example`. A bad value stops the
//! process with a [`ConfigError`] naming the variable; nothing here is read again per request
//! (a security switch read per request could be flipped under a running server).

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use secrecy::SecretString;

/// A configuration problem, always naming the environment variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

/// A PostgreSQL connection target: the parsed driver configuration (never printed, since it
/// may carry a password) and the role it logs in as (not a secret; migrations and the start-up
/// guard need it).
#[derive(Clone)]
pub struct DbTarget {
    pg: tokio_postgres::Config,
    pub role: String,
    pub dbname: String,
    /// TLS to the server (`sslmode`, `sslrootcert` in the URL).
    pub tls: PgTls,
}

/// libpq's `sslmode` values. tokio-postgres knows only the first three, so the URL's
/// `sslmode` and `sslrootcert` are read here and the connection is made with rustls
/// (`db::tls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS. The default when the URL names no `sslmode` (as before TLS was supported).
    Disable,
    /// TLS when the server offers it, without verifying its certificate.
    Prefer,
    /// TLS always, without verifying the server's certificate (protects against passive
    /// listening only).
    Require,
    /// TLS always; the server's certificate must chain to a trusted root.
    VerifyCa,
    /// As `VerifyCa`, and the certificate must name the host connected to.
    VerifyFull,
}

/// How a target uses TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTls {
    pub mode: SslMode,
    /// PEM file of trusted roots (`sslrootcert`); `None` or `system` means the system's roots.
    pub root_cert: Option<PathBuf>,
}

impl SslMode {
    fn parse(var: &'static str, value: &str) -> Result<Self, ConfigError> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" | "allow" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(ConfigError::new(
                    var,
                    format!(
                        "sslmode {other:?} is not one of disable, prefer, require, verify-ca, \
                         verify-full"
                    ),
                ));
            }
        })
    }
}

/// Takes `sslmode` and `sslrootcert` out of a connection string (URL query or key=value
/// form), returning the rest for tokio-postgres and the TLS settings.
fn split_tls(var: &'static str, url: &str) -> Result<(String, PgTls), ConfigError> {
    let mut tls = PgTls {
        mode: SslMode::Disable,
        root_cert: None,
    };
    let mut take = |key: &str, value: &str| -> Result<bool, ConfigError> {
        match key {
            "sslmode" => tls.mode = SslMode::parse(var, value)?,
            "sslrootcert" => tls.root_cert = Some(PathBuf::from(percent_decode(value))),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&') {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(k, v)? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_owned(),
        }
    } else {
        // key=value form; values with spaces (quoted) are left to tokio-postgres untouched.
        let mut kept = Vec::new();
        for token in url.split_whitespace() {
            let (k, v) = token.split_once('=').unwrap_or((token, ""));
            if !take(k, v)? {
                kept.push(token);
            }
        }
        kept.join(" ")
    };
    if tls.root_cert.is_some() && matches!(tls.mode, SslMode::Disable | SslMode::Prefer) {
        return Err(ConfigError::new(
            var,
            "sslrootcert needs sslmode=verify-ca or verify-full (or require)",
        ));
    }
    Ok((rest, tls))
}

/// Decodes `%XX` escapes (a certificate path in a URL).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl std::fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbTarget")
            .field("role", &self.role)
            .field("dbname", &self.dbname)
            .finish_non_exhaustive()
    }
}

impl DbTarget {
    /// Parses a `postgres://` URL (or key=value string) and insists on an explicit user, whose
    /// name becomes a role name in SQL and so must be a plain identifier.
    pub fn parse(var: &'static str, url: &str) -> Result<Self, ConfigError> {
        let (url, tls) = split_tls(var, url)?;
        let mut pg = tokio_postgres::Config::from_str(&url)
            .map_err(|e| ConfigError::new(var, format!("not a PostgreSQL URL ({e})")))?;
        pg.ssl_mode(match tls.mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        let role = pg
            .get_user()
            .ok_or_else(|| ConfigError::new(var, "the URL must name a user (the database role)"))?
            .to_owned();
        check_identifier(var, &role)?;
        let dbname = pg.get_dbname().unwrap_or(&role).to_owned();
        Ok(Self {
            pg,
            role,
            dbname,
            tls,
        })
    }

    /// The parsed driver configuration.
    pub fn pg_config(&self) -> tokio_postgres::Config {
        self.pg.clone()
    }

    /// The same server and credentials, pointed at another database (tests clone databases).
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut pg = self.pg.clone();
        pg.dbname(dbname);
        Self {
            pg,
            role: self.role.clone(),
            dbname: dbname.to_owned(),
            tls: self.tls.clone(),
        }
    }
}

/// Role names end up in SQL (`grant ... to <role>`), so they are restricted to lowercase
/// identifiers that need no quoting.
pub fn check_identifier(var: &'static str, name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new(
            var,
            format!("role name {name:?} must match [a-z_][a-z0-9_]{{0,62}}"),
        ))
    }
}

/// Log output format when no OTLP endpoint takes the traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Plain,
    Json,
}

/// Database settings shared by the pools.
#[derive(Debug, Clone)]
pub struct DbSettings {
    /// The runtime role: not an owner, no BYPASSRLS (checked at start-up).
    pub api: DbTarget,
    /// The read-only BYPASSRLS role, used by owner analytics only.
    pub analytics: DbTarget,
    /// An administrative login that may create roles; migrations run as `owner_role` through it.
    pub migration: DbTarget,
    /// The role that owns schema `app`. NOLOGIN: migrations reach it with `SET ROLE`.
    pub owner_role: String,
    /// `DB_OWNER_PASSWORD`, for a distributed PostgreSQL (Citus) only: the coordinator opens its
    /// connections to the workers as the current role, so there the owner must be able to log
    /// in. When set, `brandhouse migrate` gives the owner LOGIN and this password; unset (one
    /// PostgreSQL), the owner stays NOLOGIN and nobody can log in as it.
    pub owner_password: Option<SecretString>,
    pub pool_size: usize,
    pub pool_wait_timeout: Duration,
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
}

/// Where brand files (CSV imports, product images) are stored.
#[derive(Debug, Clone)]
pub enum StorageBackend {
    /// A local directory (`{DATA_DIR}/files`), the default.
    Local { dir: PathBuf },
    /// An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO...), when `S3_BUCKET` is set.
    S3(S3Settings),
}

/// An S3-compatible bucket and its credentials.
#[derive(Clone)]
pub struct S3Settings {
    /// `http(s)://host[:port]`; unset for AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Object storage settings.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub backend: StorageBackend,
    /// Lifetime of presigned media URLs (S3 only).
    pub media_url_ttl: Duration,
    /// The largest CSV file `POST /v1/admin/imports` accepts.
    pub import_max_bytes: usize,
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: DbSettings,
    pub bind_addr: SocketAddr,
    pub shutdown_grace: Duration,
    pub tenant_cache_ttl: Duration,
    pub body_limit_bytes: usize,
    pub log_format: LogFormat,
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
    pub auth: AuthSettings,
    /// Redis for the storefront cache; none disables caching.
    pub redis_url: Option<String>,
    pub cache_ttl: Duration,
    pub redis_timeout: Duration,
    /// Keys storefront order access tokens. Random per process when unset (tokens then break
    /// on restart and differ between replicas: set it in production).
    pub order_token_secret: secrecy::SecretSlice<u8>,
    pub order_token_secret_generated: bool,
    /// How long after its order is placed an order access token reads the order.
    pub order_token_ttl: Duration,
    pub worker: WorkerSettings,
    pub analytics_pool_size: usize,
    pub analytics_statement_timeout: Duration,
    pub chat: ChatConfig,
    /// Where the assistant's product index lives (embedded, under `DATA_DIR`, or a Qdrant
    /// server).
    pub search: SearchSettings,
    pub storage: StorageSettings,
    /// Rate limits per route group (`RATE_LIMITS`, `RATE_LIMIT_<GROUP>`, `TRUSTED_PROXY_HEADER`).
    pub rate_limits: crate::ratelimit::RateLimitSettings,
    /// `GET /metrics`: its token and the brand label cap (`METRICS_TOKEN`, `METRICS_MAX_BRANDS`).
    pub metrics: MetricsSettings,
    /// Live event streams (`EVENTS_*`).
    pub events: EventsSettings,
    /// Outbound webhooks (`WEBHOOK_*`).
    pub webhooks: WebhookSettings,
}

/// Outbound webhooks: targets allowed, delivery, retries, disabling and pruning.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// `WEBHOOK_ALLOW_PRIVATE_TARGETS` (default false): allow targets that resolve to private,
    /// loopback, link-local, CGNAT, multicast or unspecified addresses (local development and
    /// tests only: in production such a target reaches the server's own network).
    pub allow_private_targets: bool,
    /// `WEBHOOK_ALLOW_HTTP` (default false): allow `http://` targets besides `https://`
    /// (local development and tests only).
    pub allow_http: bool,
    /// `WEBHOOK_TIMEOUT_MS` (100 to 60000, default 10000): one delivery attempt, connection
    /// and response included.
    pub timeout: Duration,
    /// `WEBHOOK_MAX_ATTEMPTS` (1 to 8, default 6): attempts per delivery, the first included.
    pub max_attempts: i32,
    /// `WEBHOOK_RETRY_BASE_MS` (1 to 600000, default 10000): the delay before the first
    /// retry; it doubles with each retry, with jitter.
    pub retry_base: Duration,
    /// `WEBHOOK_RETRY_MAX_SECS` (1 to 86400, default 3600): the longest delay between
    /// attempts, a `Retry-After` included.
    pub retry_max: Duration,
    /// `WEBHOOK_DISABLE_AFTER` (1 to 1000, default 10): deliveries failed for good in a row
    /// before the endpoint is disabled (and a `webhook.disabled` event recorded).
    pub disable_after: i32,
    /// `WEBHOOK_DELIVERY_RETENTION_DAYS` (1 to 3650, default 30): finished deliveries older
    /// than this are pruned (hourly).
    pub retention: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            allow_http: false,
            timeout: Duration::from_secs(10),
            max_attempts: 6,
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(3600),
            disable_after: 10,
            retention: Duration::from_secs(30 * 86_400),
        }
    }
}

fn webhook_settings(env: &Env<'_>) -> Result<WebhookSettings, ConfigError> {
    let ranged = |name: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| {
        let v: u64 = env.parse(name, default)?;
        if range.contains(&v) {
            Ok(v)
        } else {
            Err(ConfigError::new(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            ))
        }
    };
    let small = |v: u64| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(WebhookSettings {
        allow_private_targets: env.parse("WEBHOOK_ALLOW_PRIVATE_TARGETS", false)?,
        allow_http: env.parse("WEBHOOK_ALLOW_HTTP", false)?,
        timeout: Duration::from_millis(ranged("WEBHOOK_TIMEOUT_MS", 10_000, 100..=60_000)?),
        max_attempts: small(ranged("WEBHOOK_MAX_ATTEMPTS", 6, 1..=8)?),
        retry_base: Duration::from_millis(ranged("WEBHOOK_RETRY_BASE_MS", 10_000, 1..=600_000)?),
        retry_max: Duration::from_secs(ranged("WEBHOOK_RETRY_MAX_SECS", 3600, 1..=86_400)?),
        disable_after: small(ranged("WEBHOOK_DISABLE_AFTER", 10, 1..=1000)?),
        retention: Duration::from_secs(
            ranged("WEBHOOK_DELIVERY_RETENTION_DAYS", 30, 1..=3650)? * 86_400,
        ),
    })
}

/// Live event streams and their tickets.
#[derive(Debug, Clone, Copy)]
pub struct EventsSettings {
    /// `EVENTS_STREAM_BUFFER` (1 to 10000, default 256): events queued per open stream.
    pub buffer: usize,
    /// `EVENTS_SEND_TIMEOUT_MS` (default 10000): a stream whose client does not take the next
    /// event within this long is closed.
    pub send_timeout: Duration,
    /// `EVENTS_HEARTBEAT_SECS` (1 to 300, default 15): comment lines on idle streams.
    pub heartbeat: Duration,
    /// `EVENTS_POLL_SECS` (1 to 3600, default 30): a stream reads again after this long without
    /// a notification (a safety net).
    pub poll: Duration,
    /// `EVENTS_TICKET_TTL_SECS` (5 to 600, default 60): how long a stream ticket opens streams.
    pub ticket_ttl: Duration,
}

fn events_settings(env: &Env<'_>) -> Result<EventsSettings, ConfigError> {
    let ranged = |name: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| {
        let v: u64 = env.parse(name, default)?;
        if range.contains(&v) {
            Ok(v)
        } else {
            Err(ConfigError::new(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            ))
        }
    };
    Ok(EventsSettings {
        buffer: usize::try_from(ranged("EVENTS_STREAM_BUFFER", 256, 1..=10_000)?).unwrap_or(256),
        send_timeout: Duration::from_millis(ranged("EVENTS_SEND_TIMEOUT_MS", 10_000, 1..=600_000)?),
        heartbeat: Duration::from_secs(ranged("EVENTS_HEARTBEAT_SECS", 15, 1..=300)?),
        poll: Duration::from_secs(ranged("EVENTS_POLL_SECS", 30, 1..=3600)?),
        ticket_ttl: Duration::from_secs(ranged("EVENTS_TICKET_TTL_SECS", 60, 5..=600)?),
    })
}

/// Defaults match `make demo` on one machine: local PostgreSQL with trust authentication.
pub const DEFAULT_DATABASE_URL: &str = "postgres://brandhouse_api@127.0.0.1:5432/brandhouse";
pub const DEFAULT_ANALYTICS_DATABASE_URL: &str =
    "postgres://brandhouse_analytics@127.0.0.1:5432/brandhouse";
pub const DEFAULT_MIGRATION_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/brandhouse";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests can pass a map instead of the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let (order_token_secret, order_token_secret_generated) = order_token_secret(&env)?;
        let analytics_pool_size: usize = env.parse("ANALYTICS_POOL_SIZE", 4)?;
        if !(1..=64).contains(&analytics_pool_size) {
            return Err(ConfigError::new(
                "ANALYTICS_POOL_SIZE",
                "must be between 1 and 64",
            ));
        }
        let redis_url = env.optional("REDIS_URL");
        if let Some(url) = &redis_url
            && (!(url.starts_with("redis://") || url.starts_with("redis-cluster://"))
                || fred::prelude::Config::from_url(url).is_err())
        {
            return Err(ConfigError::new(
                "REDIS_URL",
                "not a Redis URL (redis://host:port[/db], or \
                 redis-cluster://host:port?node=host:port&node=... for a Redis Cluster)",
            ));
        }
        let cache_ttl = Duration::from_secs(env.parse("CACHE_TTL_SECS", 10)?);
        let server = server_settings(&env)?;
        Ok(Self {
            rate_limits: rate_limit_settings(&env)?,
            metrics: metrics_settings(&env)?,
            events: events_settings(&env)?,
            webhooks: webhook_settings(&env)?,
            storage: storage_settings(&env, cache_ttl)?,
            search: search_settings(&env)?,
            chat: chat_config(&env)?,
            analytics_pool_size,
            analytics_statement_timeout: env.millis("ANALYTICS_STATEMENT_TIMEOUT_MS", 30_000)?,
            order_token_secret,
            order_token_secret_generated,
            order_token_ttl: order_token_ttl(&env)?,
            worker: worker_settings(&env)?,
            redis_url,
            cache_ttl,
            redis_timeout: env.millis("REDIS_TIMEOUT_MS", 100)?,
            auth: auth_settings(&env)?,
            db: db_settings(&env)?,
            bind_addr: server.bind_addr,
            shutdown_grace: Duration::from_secs(env.parse("SHUTDOWN_GRACE_SECS", 30)?),
            tenant_cache_ttl: Duration::from_secs(env.parse("TENANT_CACHE_TTL_SECS", 5)?),
            body_limit_bytes: server.body_limit_bytes,
            log_format: server.log_format,
            otlp_endpoint: server.otlp_endpoint,
            service_name: env.string("OTEL_SERVICE_NAME", "brandhouse"),
        })
    }
}

/// The three connection targets, the owner role and the pool limits. The isolation contract
/// depends on the roles being distinct: the API role must not be the owner (owners bypass RLS
/// unless FORCEd) nor the BYPASSRLS analytics role.
fn db_settings(env: &Env<'_>) -> Result<DbSettings, ConfigError> {
    let api = DbTarget::parse(
        "DATABASE_URL",
        &env.string("DATABASE_URL", DEFAULT_DATABASE_URL),
    )?;
    let analytics = DbTarget::parse(
        "ANALYTICS_DATABASE_URL",
        &env.string("ANALYTICS_DATABASE_URL", DEFAULT_ANALYTICS_DATABASE_URL),
    )?;
    let migration = DbTarget::parse(
        "MIGRATION_DATABASE_URL",
        &env.string("MIGRATION_DATABASE_URL", DEFAULT_MIGRATION_DATABASE_URL),
    )?;
    let owner_role = env.string("DB_OWNER_ROLE", "brandhouse_owner");
    check_identifier("DB_OWNER_ROLE", &owner_role)?;
    if api.role == owner_role || api.role == analytics.role || api.role == migration.role {
        return Err(ConfigError::new(
            "DATABASE_URL",
            format!(
                "the API role {:?} must differ from the owner, analytics and migration roles",
                api.role
            ),
        ));
    }
    if analytics.role == owner_role || analytics.role == migration.role {
        return Err(ConfigError::new(
            "ANALYTICS_DATABASE_URL",
            "the analytics role must differ from the owner and migration roles",
        ));
    }
    let pool_size: usize = env.parse("DB_POOL_SIZE", 16)?;
    if !(1..=1024).contains(&pool_size) {
        return Err(ConfigError::new(
            "DB_POOL_SIZE",
            "must be between 1 and 1024",
        ));
    }
    Ok(DbSettings {
        api,
        analytics,
        migration,
        owner_role,
        owner_password: env.optional("DB_OWNER_PASSWORD").map(SecretString::from),
        pool_size,
        pool_wait_timeout: env.millis("DB_POOL_TIMEOUT_MS", 5_000)?,
        connect_timeout: env.millis("DB_CONNECT_TIMEOUT_MS", 5_000)?,
        statement_timeout: env.millis("DB_STATEMENT_TIMEOUT_MS", 15_000)?,
    })
}

/// Where and how the server listens and logs.
struct ServerSettings {
    bind_addr: SocketAddr,
    body_limit_bytes: usize,
    log_format: LogFormat,
    otlp_endpoint: Option<String>,
}

fn server_settings(env: &Env<'_>) -> Result<ServerSettings, ConfigError> {
    let bind_addr = env.parse("BIND_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)))?;
    let log_format = match env.string("LOG_FORMAT", "plain").as_str() {
        "plain" => LogFormat::Plain,
        "json" => LogFormat::Json,
        other => {
            return Err(ConfigError::new(
                "LOG_FORMAT",
                format!("{other:?} is not one of plain, json"),
            ));
        }
    };
    let body_limit_bytes: usize = env.parse("REQUEST_BODY_LIMIT_BYTES", 1024 * 1024)?;
    if body_limit_bytes < 1024 {
        return Err(ConfigError::new(
            "REQUEST_BODY_LIMIT_BYTES",
            "must be at least 1024",
        ));
    }
    let otlp_endpoint = env.optional("OTEL_EXPORTER_OTLP_ENDPOINT");
    if let Some(endpoint) = &otlp_endpoint
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        return Err(ConfigError::new(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "must be an http:// or https:// URL",
        ));
    }
    Ok(ServerSettings {
        bind_addr,
        body_limit_bytes,
        log_format,
        otlp_endpoint,
    })
}

/// `METRICS_TOKEN` (at least 16 characters; unset turns `/metrics` off) and
/// `METRICS_MAX_BRANDS` (1 to 10000, default 100).
fn metrics_settings(env: &Env<'_>) -> Result<MetricsSettings, ConfigError> {
    let token = env.optional("METRICS_TOKEN").map(|t| t.trim().to_owned());
    if let Some(t) = &token
        && (t.len() < 16 || !t.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(ConfigError::new(
            "METRICS_TOKEN",
            "at least 16 printable characters without spaces (e.g. openssl rand -hex 32)",
        ));
    }
    let max_brands: usize = env.parse("METRICS_MAX_BRANDS", 100)?;
    if !(1..=10_000).contains(&max_brands) {
        return Err(ConfigError::new(
            "METRICS_MAX_BRANDS",
            "must be between 1 and 10000",
        ));
    }
    Ok(MetricsSettings {
        token: token.map(SecretString::from),
        max_brands,
    })
}

/// `RATE_LIMITS` (`on`, the default, or `off`), a quota per group as `N/SECONDS` or `off`
/// (`RATE_LIMIT_LOGIN`, `_CHECKOUT`, `_CHECKOUT_BRAND`, `_STOREFRONT`, `_WEBHOOKS`,
/// `_STAFF_WRITES`), and `TRUSTED_PROXY_HEADER`.
fn rate_limit_settings(env: &Env<'_>) -> Result<crate::ratelimit::RateLimitSettings, ConfigError> {
    use crate::ratelimit::{Group, Quota, RateLimitSettings};
    let mut settings = match env.optional("RATE_LIMITS").as_deref() {
        None | Some("on") => RateLimitSettings::defaults(),
        Some("off") => RateLimitSettings::off(),
        Some(_) => return Err(ConfigError::new("RATE_LIMITS", "on or off")),
    };
    let quota = |name: &'static str| -> Result<Option<Option<Quota>>, ConfigError> {
        match env.optional(name).as_deref() {
            None => Ok(None),
            Some("off") => Ok(Some(None)),
            Some(v) => Quota::parse(v).map(|q| Some(Some(q))).ok_or_else(|| {
                ConfigError::new(name, "N/SECONDS (1-1000000 requests per 1-86400 s) or off")
            }),
        }
    };
    for (group, name) in [
        (Group::Login, "RATE_LIMIT_LOGIN"),
        (Group::Checkout, "RATE_LIMIT_CHECKOUT"),
        (Group::Storefront, "RATE_LIMIT_STOREFRONT"),
        (Group::Webhooks, "RATE_LIMIT_WEBHOOKS"),
        (Group::StaffWrites, "RATE_LIMIT_STAFF_WRITES"),
    ] {
        if let Some(q) = quota(name)? {
            settings.per_client.retain(|(g, _)| *g != group);
            if let Some(q) = q {
                settings.per_client.push((group, q));
            }
        }
    }
    if let Some(q) = quota("RATE_LIMIT_CHECKOUT_BRAND")? {
        settings.checkout_per_brand = q;
    }
    if let Some(header) = env.optional("TRUSTED_PROXY_HEADER") {
        let name = poem::http::HeaderName::from_bytes(header.trim().as_bytes())
            .map_err(|_| ConfigError::new("TRUSTED_PROXY_HEADER", "a header name"))?;
        settings.client_ip_header = Some(name);
    }
    Ok(settings)
}

fn auth_settings(env: &Env<'_>) -> Result<AuthSettings, ConfigError> {
    let token_ttl_secs: u64 = env.parse("AUTH_TOKEN_TTL_SECS", 12 * 3600)?;
    if !(60..=30 * 24 * 3600).contains(&token_ttl_secs) {
        return Err(ConfigError::new(
            "AUTH_TOKEN_TTL_SECS",
            "must be between 60 and 2592000 (30 days)",
        ));
    }
    let max_failures: u32 = env.parse("LOGIN_MAX_FAILURES", 10)?;
    if max_failures == 0 {
        return Err(ConfigError::new("LOGIN_MAX_FAILURES", "must be at least 1"));
    }
    let max_failures_per_client: u32 = env.parse("LOGIN_MAX_FAILURES_PER_CLIENT", 5)?;
    if max_failures_per_client == 0 {
        return Err(ConfigError::new(
            "LOGIN_MAX_FAILURES_PER_CLIENT",
            "must be at least 1",
        ));
    }
    let account_lock_secs: u64 = env.parse("LOGIN_ACCOUNT_LOCK_SECS", 60)?;
    if !(1..=86_400).contains(&account_lock_secs) {
        return Err(ConfigError::new(
            "LOGIN_ACCOUNT_LOCK_SECS",
            "must be between 1 and 86400 (a day)",
        ));
    }
    let throttle_secs: u64 = env.parse("LOGIN_THROTTLE_WINDOW_SECS", 900)?;
    if throttle_secs == 0 {
        return Err(ConfigError::new(
            "LOGIN_THROTTLE_WINDOW_SECS",
            "must be at least 1",
        ));
    }
    // Half the cores by default: a login flood keeps the other half for everything else.
    let half_the_cores = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
    let max_concurrent_hashes: usize = env.parse("LOGIN_MAX_CONCURRENT_HASHES", half_the_cores)?;
    if !(1..=256).contains(&max_concurrent_hashes) {
        return Err(ConfigError::new(
            "LOGIN_MAX_CONCURRENT_HASHES",
            "must be between 1 and 256",
        ));
    }
    // Half a core per check thread by default: what priority could not hold (bench/login.sh).
    let hash_cpu_percent: u32 = env.parse("LOGIN_HASH_CPU_PERCENT", 50)?;
    if !(10..=100).contains(&hash_cpu_percent) {
        return Err(ConfigError::new(
            "LOGIN_HASH_CPU_PERCENT",
            "must be between 10 and 100",
        ));
    }
    let invitation_ttl_hours: u64 = env.parse("STAFF_INVITATION_TTL_HOURS", 72)?;
    if !(1..=720).contains(&invitation_ttl_hours) {
        return Err(ConfigError::new(
            "STAFF_INVITATION_TTL_HOURS",
            "must be between 1 and 720 (30 days)",
        ));
    }
    Ok(AuthSettings {
        token_ttl: Duration::from_secs(token_ttl_secs),
        max_failures,
        max_failures_per_client,
        throttle_window: Duration::from_secs(throttle_secs),
        account_lock: Duration::from_secs(account_lock_secs),
        max_concurrent_hashes,
        hash_wait: env.millis("LOGIN_HASH_WAIT_MS", 1_000)?,
        hash_cpu_percent,
        invitation_ttl: Duration::from_secs(invitation_ttl_hours * 3600),
    })
}

/// `ORDER_TOKEN_TTL_DAYS`: 1 day to 10 years, 90 days by default.
fn order_token_ttl(env: &Env<'_>) -> Result<Duration, ConfigError> {
    let days: u64 = env.parse("ORDER_TOKEN_TTL_DAYS", 90)?;
    if !(1..=3650).contains(&days) {
        return Err(ConfigError::new(
            "ORDER_TOKEN_TTL_DAYS",
            "must be between 1 and 3650",
        ));
    }
    Ok(Duration::from_secs(days * 24 * 3600))
}

/// `ORDER_TOKEN_SECRET`, or a random one for this process (`true`: tokens die with it).
fn order_token_secret(env: &Env<'_>) -> Result<(secrecy::SecretSlice<u8>, bool), ConfigError> {
    match env.optional("ORDER_TOKEN_SECRET") {
        Some(s) if s.len() >= 32 => Ok((secrecy::SecretSlice::from(s.into_bytes()), false)),
        Some(_) => Err(ConfigError::new(
            "ORDER_TOKEN_SECRET",
            "must be at least 32 characters",
        )),
        None => Ok((
            secrecy::SecretSlice::from(rand::random::<[u8; 32]>().to_vec()),
            true,
        )),
    }
}

fn worker_settings(env: &Env<'_>) -> Result<WorkerSettings, ConfigError> {
    let worker = WorkerSettings {
        enabled: env.parse("WORKER_ENABLED", true)?,
        poll: env.millis("WORKER_POLL_MS", 500)?,
        batch: env.parse("WORKER_BATCH", 16)?,
        claim: Duration::from_secs(env.parse("JOB_CLAIM_SECS", 300)?),
        concurrency: env.parse("WORKER_CONCURRENCY", 4)?,
    };
    if !(1..=64).contains(&worker.concurrency) {
        return Err(ConfigError::new(
            "WORKER_CONCURRENCY",
            "must be between 1 and 64",
        ));
    }
    if !(1..=1000).contains(&worker.batch) {
        return Err(ConfigError::new(
            "WORKER_BATCH",
            "must be between 1 and 1000",
        ));
    }
    Ok(worker)
}

/// The WhatsApp assistant: Meta's webhook secrets, the Graph API, the optional LLM.
fn chat_config(env: &Env<'_>) -> Result<ChatConfig, ConfigError> {
    let graph_base_url = env
        .http_url("GRAPH_API_BASE_URL", Some("https://graph.facebook.com"))?
        .unwrap_or_default();
    let graph_version = env.string("GRAPH_API_VERSION", "v21.0");
    if !(graph_version.starts_with('v') && graph_version[1..].parse::<f32>().is_ok()) {
        return Err(ConfigError::new("GRAPH_API_VERSION", "like v21.0"));
    }
    let llm = match env.http_url("LLM_BASE_URL", None)? {
        None => None,
        Some(base_url) => Some(LlmSettings {
            base_url,
            model: env.optional("LLM_MODEL").ok_or_else(|| {
                ConfigError::new("LLM_MODEL", "required when LLM_BASE_URL is set")
            })?,
            api_key: env.optional("LLM_API_KEY").map(SecretString::from),
        }),
    };
    Ok(ChatConfig {
        app_secret: env.optional("WHATSAPP_APP_SECRET").map(SecretString::from),
        verify_token: env
            .optional("WHATSAPP_VERIFY_TOKEN")
            .map(SecretString::from),
        graph_base_url,
        graph_version,
        llm,
    })
}

/// The product index: where it lives (`DATA_DIR`, or Qdrant) and the optional embeddings API.
fn search_settings(env: &Env<'_>) -> Result<SearchSettings, ConfigError> {
    let embeddings = match env.http_url("EMBEDDINGS_BASE_URL", None)? {
        None => None,
        Some(base_url) => Some(EmbeddingsSettings {
            base_url,
            model: env.optional("EMBEDDINGS_MODEL").ok_or_else(|| {
                ConfigError::new(
                    "EMBEDDINGS_MODEL",
                    "required when EMBEDDINGS_BASE_URL is set",
                )
            })?,
            api_key: env.optional("EMBEDDINGS_API_KEY"),
        }),
    };
    Ok(SearchSettings {
        data_dir: std::path::PathBuf::from(env.string("DATA_DIR", "./data")),
        qdrant_url: env.http_url("QDRANT_URL", None)?,
        qdrant_collection: env.string("QDRANT_COLLECTION", DEFAULT_COLLECTION),
        embeddings,
    })
}

/// `DATA_DIR`, or S3 when `S3_BUCKET` is set; the S3 variables only make sense together.
fn storage_settings(env: &Env<'_>, cache_ttl: Duration) -> Result<StorageSettings, ConfigError> {
    let data_dir = env.string("DATA_DIR", "./data");
    let backend = match env.optional("S3_BUCKET") {
        None => {
            for var in [
                "S3_ENDPOINT",
                "S3_ACCESS_KEY_ID",
                "S3_SECRET_ACCESS_KEY",
                "S3_REGION",
            ] {
                if env.optional(var).is_some() {
                    return Err(ConfigError::new(
                        var,
                        "is set but S3_BUCKET is not: set S3_BUCKET to store files in S3, or unset this",
                    ));
                }
            }
            // A directory of its own: DATA_DIR also holds the product index (`search/`).
            StorageBackend::Local {
                dir: PathBuf::from(data_dir).join("files"),
            }
        }
        Some(bucket) => {
            let bucket = bucket.trim().to_owned();
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                })
                && !bucket.starts_with(['-', '.'])
                && !bucket.ends_with(['-', '.']);
            if !valid_bucket {
                return Err(ConfigError::new(
                    "S3_BUCKET",
                    "3 to 63 lowercase letters, digits, '-' or '.'",
                ));
            }
            let endpoint = env
                .optional("S3_ENDPOINT")
                .map(|e| e.trim().trim_end_matches('/').to_owned());
            if let Some(e) = &endpoint
                && !(e.starts_with("http://") || e.starts_with("https://"))
            {
                return Err(ConfigError::new(
                    "S3_ENDPOINT",
                    "must be an http:// or https:// URL",
                ));
            }
            let access_key_id = env.optional("S3_ACCESS_KEY_ID").ok_or_else(|| {
                ConfigError::new("S3_ACCESS_KEY_ID", "required when S3_BUCKET is set")
            })?;
            let secret_access_key = env.optional("S3_SECRET_ACCESS_KEY").ok_or_else(|| {
                ConfigError::new("S3_SECRET_ACCESS_KEY", "required when S3_BUCKET is set")
            })?;
            let region = env.string("S3_REGION", "us-east-1");
            if !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(ConfigError::new(
                    "S3_REGION",
                    "lowercase letters, digits and '-' (e.g. us-east-1, or auto for R2)",
                ));
            }
            StorageBackend::S3(S3Settings {
                endpoint,
                bucket,
                region,
                access_key_id: access_key_id.trim().to_owned(),
                secret_access_key: SecretString::from(secret_access_key),
            })
        }
    };
    let ttl_secs: u64 = env.parse("MEDIA_URL_TTL_SECS", 3600)?;
    // S3 presigned URLs live at most 7 days; cached storefront pages carry them, so they must
    // outlive the cache entries by far.
    if !(60..=7 * 24 * 3600).contains(&ttl_secs) || ttl_secs < cache_ttl.as_secs() * 10 {
        return Err(ConfigError::new(
            "MEDIA_URL_TTL_SECS",
            "must be between 60 and 604800 (7 days), and at least 10 times CACHE_TTL_SECS",
        ));
    }
    let import_max_bytes: usize = env.parse("IMPORT_MAX_BYTES", 64 * 1024 * 1024)?;
    if !(1024..=1024 * 1024 * 1024).contains(&import_max_bytes) {
        return Err(ConfigError::new(
            "IMPORT_MAX_BYTES",
            "must be between 1024 and 1073741824 (1 GiB)",
        ));
    }
    Ok(StorageSettings {
        backend,
        media_url_ttl: Duration::from_secs(ttl_secs),
        import_max_bytes,
    })
}

/// Typed access to variables with defaults; every error names its variable.
struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    /// An http(s) URL without its trailing slash, `default` when unset.
    fn http_url(
        &self,
        name: &'static str,
        default: Option<&str>,
    ) -> Result<Option<String>, ConfigError> {
        match self.optional(name).or(default.map(str::to_owned)) {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                Ok(Some(u.trim_end_matches('/').to_owned()))
            }
            Some(_) => Err(ConfigError::new(name, "must be an http:// or https:// URL")),
            None => Ok(None),
        }
    }

    fn optional(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.optional(name).unwrap_or_else(|| default.to_owned())
    }

    fn parse<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e| ConfigError::new(name, format!("{raw:?} is not valid: {e}"))),
        }
    }

    fn millis(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let ms: u64 = self.parse(name, default)?;
        if ms == 0 {
            return Err(ConfigError::new(name, "must be greater than 0"));
        }
        Ok(Duration::from_millis(ms))
    }
}

// Settings of the parts above the plumbing: defined here, beside the code that reads and
// validates them, so configuration depends on no domain. Each domain re-exports its own.

/// `METRICS_TOKEN` and `METRICS_MAX_BRANDS` (validated in `config`).
#[derive(Clone, Debug)]
pub struct MetricsSettings {
    /// The bearer token `GET /metrics` requires; without one the endpoint answers 404.
    pub token: Option<SecretString>,
    /// Distinct brand slugs labelled before the rest count as `other`.
    pub max_brands: usize,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            token: None,
            max_brands: 100,
        }
    }
}

/// The collection name used when `QDRANT_COLLECTION` is not set.
pub const DEFAULT_COLLECTION: &str = "products";

/// Login and token settings (validated in `config`).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub token_ttl: Duration,
    /// Failed logins per email within `throttle_window` before it is locked for
    /// `account_lock` (short: only guesses from many addresses get this far, and the account's
    /// holder must not be locked out for long).
    pub max_failures: u32,
    /// Failed logins per client address within `throttle_window` before that address is
    /// locked for the window; lower than `max_failures`, so one address is locked before any
    /// account it guesses at.
    pub max_failures_per_client: u32,
    pub throttle_window: Duration,
    pub account_lock: Duration,
    /// Password verifications that may run at once for logins; a login that finds them all busy
    /// for `hash_wait` is refused (429 with `Retry-After`) instead of queueing on the blocking
    /// pool, so unauthenticated requests cannot fill it.
    pub max_concurrent_hashes: usize,
    pub hash_wait: Duration,
    /// The share of a core (percent) each check thread may spend: after a check it rests in
    /// proportion before taking the next.
    pub hash_cpu_percent: u32,
    /// How long a staff invitation can be accepted.
    pub invitation_ttl: Duration,
}

/// An OpenAI-compatible chat API for replies.
#[derive(Clone, Debug)]
pub struct LlmSettings {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<SecretString>,
}

/// Deployment-wide assistant configuration (secrets are redacted in `Debug`).
#[derive(Clone, Default, Debug)]
pub struct ChatConfig {
    /// Meta app secret for `X-Hub-Signature-256` (a brand may override it).
    pub app_secret: Option<SecretString>,
    /// The webhook verify token for the `hub.challenge` handshake (a brand may override it).
    pub verify_token: Option<SecretString>,
    pub graph_base_url: String,
    pub graph_version: String,
    pub llm: Option<LlmSettings>,
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub enabled: bool,
    pub poll: Duration,
    pub batch: i64,
    pub claim: Duration,
    /// Brands whose claimed jobs one worker runs at once (each brand's in order), so one
    /// brand's long import does not hold up another brand's order expiry.
    pub concurrency: usize,
}

/// Where and how products are indexed. The integrator fills it from `DATA_DIR`, `QDRANT_URL`,
/// `QDRANT_COLLECTION` and `EMBEDDINGS_*`.
#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// The embedded index lives in `{data_dir}/search/`.
    pub data_dir: PathBuf,
    /// A Qdrant server's gRPC URL (`http://qdrant:6334`); when set, it is used instead of the
    /// embedded index.
    pub qdrant_url: Option<String>,
    /// The server collection (default [`DEFAULT_COLLECTION`]).
    pub qdrant_collection: String,
    /// Dense embeddings; `None` indexes sparse vectors only.
    pub embeddings: Option<EmbeddingsSettings>,
}

impl SearchSettings {
    /// The embedded index under `data_dir`, sparse only.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            qdrant_url: None,
            qdrant_collection: DEFAULT_COLLECTION.to_owned(),
            embeddings: None,
        }
    }
}

/// An OpenAI-compatible embeddings API.
#[derive(Clone)]
pub struct EmbeddingsSettings {
    /// Including the version path, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub model: String,
    /// Sent as a bearer token when set (local servers often need none).
    pub api_key: Option<String>,
}

impl fmt::Debug for EmbeddingsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddingsSettings")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_valid() {
        let config = load(&[]).unwrap();
        assert_eq!(config.db.api.role, "brandhouse_api");
        assert_eq!(config.db.analytics.role, "brandhouse_analytics");
        assert_eq!(config.db.owner_role, "brandhouse_owner");
        assert_eq!(config.db.pool_size, 16);
        assert_eq!(config.bind_addr.port(), 8080);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("DB_POOL_SIZE", "lots"),
            ("DB_POOL_SIZE", "0"),
            ("DB_POOL_TIMEOUT_MS", "0"),
            ("BIND_ADDR", "localhost"),
            ("LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x@y/z"),
            ("DATABASE_URL", "postgres://127.0.0.1/brandhouse"),
            ("DATABASE_URL", "postgres://Robert');drop@127.0.0.1/b"),
            ("DB_OWNER_ROLE", "Owner"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("REQUEST_BODY_LIMIT_BYTES", "12"),
            ("AUTH_TOKEN_TTL_SECS", "5"),
            ("LOGIN_MAX_FAILURES", "0"),
            ("REDIS_URL", "http://nope"),
            ("REDIS_TIMEOUT_MS", "0"),
            ("ORDER_TOKEN_SECRET", "short"),
            ("WORKER_ENABLED", "perhaps"),
            ("WORKER_BATCH", "0"),
            ("GRAPH_API_BASE_URL", "graph.facebook.com"),
            ("GRAPH_API_VERSION", "21"),
            ("LLM_BASE_URL", "localhost:11434"),
            ("QDRANT_URL", "qdrant:6334"),
            ("EMBEDDINGS_BASE_URL", "nope"),
            ("S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("MEDIA_URL_TTL_SECS", "5"),
            ("IMPORT_MAX_BYTES", "1"),
            ("METRICS_TOKEN", "short"),
            ("METRICS_MAX_BRANDS", "0"),
        ] {
            let err = load(&[(var, value)]).expect_err(var);
            assert_eq!(err.var, var, "{value}: {err}");
            assert!(err.to_string().contains(var));
        }
    }

    #[test]
    fn redis_may_be_one_server_or_a_cluster() {
        assert!(load(&[("REDIS_URL", "redis://127.0.0.1:6379/0")]).is_ok());
        let cluster = load(&[(
            "REDIS_URL",
            "redis-cluster://127.0.0.1:7001?node=127.0.0.1:7002&node=127.0.0.1:7003",
        )])
        .unwrap();
        assert!(cluster.redis_url.unwrap().starts_with("redis-cluster://"));
        assert!(load(&[("REDIS_URL", "rediss-cluster-ish://x")]).is_err());
    }

    #[test]
    fn storage_is_a_local_directory_unless_a_bucket_is_configured() {
        let config = load(&[]).unwrap();
        assert!(matches!(
            &config.storage.backend,
            StorageBackend::Local { dir } if dir == &PathBuf::from("./data/files")
        ));
        let full = [
            ("S3_BUCKET", "brand-files"),
            ("S3_ENDPOINT", "https://acct.r2.cloudflarestorage.com/"),
            ("S3_ACCESS_KEY_ID", "AKIA"),
            ("S3_SECRET_ACCESS_KEY", "hunter2-secret"),
            ("S3_REGION", "auto"),
        ];
        let config = load(&full).unwrap();
        let StorageBackend::S3(s3) = &config.storage.backend else {
            panic!("expected S3");
        };
        assert_eq!(
            s3.endpoint.as_deref(),
            Some("https://acct.r2.cloudflarestorage.com")
        );
        assert_eq!(s3.region, "auto");
        assert!(!format!("{config:?}").contains("hunter2-secret"));
        for (i, (var, _)) in full.iter().enumerate() {
            if *var == "S3_ENDPOINT" || *var == "S3_REGION" {
                continue;
            }
            let partial: Vec<(&str, &str)> = full
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, kv)| *kv)
                .collect();
            let err = load(&partial).unwrap_err();
            let expected = if *var == "S3_BUCKET" {
                "S3_ENDPOINT"
            } else {
                var
            };
            assert_eq!(err.var, expected, "without {var}: {err}");
        }
        for (var, value) in [
            ("S3_BUCKET", "Bad_Bucket"),
            ("S3_ENDPOINT", "s3.example.com"),
            ("S3_REGION", "US EAST"),
        ] {
            let mut vars = full.to_vec();
            vars.retain(|(k, _)| k != &var);
            vars.push((var, value));
            assert_eq!(load(&vars).unwrap_err().var, var);
        }
    }

    #[test]
    fn the_api_role_cannot_be_a_privileged_role() {
        let err = load(&[(
            "DATABASE_URL",
            "postgres://brandhouse_owner@127.0.0.1/brandhouse",
        )])
        .unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        let err = load(&[(
            "DATABASE_URL",
            "postgres://brandhouse_analytics@127.0.0.1/brandhouse",
        )])
        .unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
    }

    #[test]
    fn debug_output_hides_the_url() {
        let config = load(&[(
            "DATABASE_URL",
            "postgres://brandhouse_api:hunter2@127.0.0.1/brandhouse",
        )])
        .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn sslmode_and_sslrootcert_are_read_from_the_url_and_given_to_rustls() {
        let t = DbTarget::parse(
            "X",
            "postgres://brandhouse_api@db.example.com/b?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(t.tls.mode, SslMode::VerifyFull);
        assert_eq!(t.tls.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            t.pg_config().get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        assert_eq!(t.pg_config().get_application_name(), Some("x"));
        assert_eq!(t.with_dbname("c").tls, t.tls);

        let kv = DbTarget::parse("X", "host=db user=brandhouse_api sslmode=verify-ca").unwrap();
        assert_eq!(kv.tls.mode, SslMode::VerifyCa);
        let plain = DbTarget::parse("X", "postgres://brandhouse_api@db/b").unwrap();
        assert_eq!(plain.tls.mode, SslMode::Disable);
        assert_eq!(
            plain.pg_config().get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        );
        for bad in [
            "postgres://brandhouse_api@db/b?sslmode=sometimes",
            "postgres://brandhouse_api@db/b?sslrootcert=/ca.pem",
        ] {
            assert_eq!(DbTarget::parse("X", bad).unwrap_err().var, "X", "{bad}");
        }
    }

    #[test]
    fn with_dbname_keeps_credentials() {
        let t = DbTarget::parse("X", "postgres://brandhouse_api:p%27w@127.0.0.1:5433/a").unwrap();
        let u = t.with_dbname("b");
        let pg = u.pg_config();
        assert_eq!(pg.get_dbname(), Some("b"));
        assert_eq!(pg.get_user(), Some("brandhouse_api"));
        assert_eq!(pg.get_password(), Some(&b"p'w"[..]));
        assert_eq!(pg.get_ports(), &[5433]);
    }
}
