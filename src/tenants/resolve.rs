//! Finding the brand a request addresses: `X-Tenant-ID: <slug>` when present, otherwise the
//! `Host` header against the brands' domains. Lookups are cached in process for a few seconds
//! (`TENANT_CACHE_TTL_SECS`), misses included, so a burst of requests costs one query.

use std::{sync::Arc, time::Duration};

use moka::future::Cache;
use poem::{Request, RequestBody};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaParamIn, MetaSchemaRef, Registry},
    types::Type,
};
use uuid::Uuid;

use super::repo;
use crate::scope::{Actor, Tenant, TenantScope};
use crate::{
    db::{Db, DbError},
    error::ApiError,
};

/// The header naming the brand by slug. Frontends on a brand's own domain may omit it.
pub const TENANT_HEADER: &str = "X-Tenant-ID";

/// Why no brand could be resolved.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(
        "no brand in the request: send the X-Tenant-ID header with the brand's slug, or call the brand's own domain"
    )]
    Missing,
    /// Unknown and inactive brands look the same from outside.
    #[error("no such brand")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<TenantError> for ApiError {
    fn from(e: TenantError) -> Self {
        match e {
            TenantError::Missing => ApiError::bad_request(e.to_string()),
            TenantError::NotFound => ApiError::not_found(e.to_string()),
            TenantError::Db(db) => db.into(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
enum Key {
    Slug(String),
    Domain(String),
    Id(Uuid),
}

/// Resolves brands, with a short-lived in-process cache.
#[derive(Clone)]
pub struct TenantResolver {
    db: Db,
    cache: Cache<Key, Option<Arc<Tenant>>>,
}

impl TenantResolver {
    pub fn new(db: Db, ttl: Duration) -> Self {
        Self {
            db,
            cache: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The brand a request addresses, active or not.
    pub async fn from_request(
        &self,
        header: Option<&str>,
        host: Option<&str>,
    ) -> Result<Arc<Tenant>, TenantError> {
        if let Some(slug) = header.map(str::trim).filter(|s| !s.is_empty()) {
            return self.by_slug(slug).await?.ok_or(TenantError::NotFound);
        }
        // Without the header, a Host that is no brand's domain means the request named no
        // brand at all (400), unlike a header naming an unknown brand (404).
        match host.and_then(host_name) {
            Some(domain) => self.by_domain(&domain).await?.ok_or(TenantError::Missing),
            None => Err(TenantError::Missing),
        }
    }

    /// The scope for a brand named by slug, for CLI commands and jobs. Inactive brands are
    /// included: their data stays and background work may still need to reach it.
    pub async fn scope_for_slug(
        &self,
        slug: &str,
        actor: Actor,
    ) -> Result<TenantScope, TenantError> {
        let tenant = self.by_slug(slug).await?.ok_or(TenantError::NotFound)?;
        Ok(TenantScope::new(tenant, actor))
    }

    /// The scope for a brand named by id (jobs carry ids).
    pub async fn scope_for_id(&self, id: Uuid, actor: Actor) -> Result<TenantScope, TenantError> {
        let tenant = self
            .lookup(Key::Id(id))
            .await?
            .ok_or(TenantError::NotFound)?;
        Ok(TenantScope::new(tenant, actor))
    }

    /// The brand named by id, as a staff request's brand (a stream ticket carries the id).
    pub async fn staff_brand_by_id(&self, id: Uuid) -> Result<StaffBrand, TenantError> {
        let tenant = self
            .lookup(Key::Id(id))
            .await?
            .ok_or(TenantError::NotFound)?;
        Ok(StaffBrand(tenant))
    }

    /// Forgets cached lookups (after a brand's slug, domains or activation changed). Other
    /// replicas catch up within the cache's time to live.
    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }

    async fn by_slug(&self, slug: &str) -> Result<Option<Arc<Tenant>>, DbError> {
        // A slug that cannot exist costs no query (and no cache entry).
        if crate::types::Slug::parse(slug).is_err() {
            return Ok(None);
        }
        self.lookup(Key::Slug(slug.to_owned())).await
    }

    async fn by_domain(&self, domain: &str) -> Result<Option<Arc<Tenant>>, DbError> {
        self.lookup(Key::Domain(domain.to_owned())).await
    }

    async fn lookup(&self, key: Key) -> Result<Option<Arc<Tenant>>, DbError> {
        let db = self.db.clone();
        self.cache
            .try_get_with(key.clone(), async move {
                db.global_tx(&Actor::System, async |tx| match &key {
                    Key::Slug(slug) => repo::tenant_by_slug(tx, slug).await,
                    Key::Domain(domain) => repo::tenant_by_domain(tx, domain).await,
                    Key::Id(id) => repo::tenant_by_id(tx, *id).await,
                })
                .await
                .map(|t| t.map(Arc::new))
            })
            .await
            // Concurrent callers of one key share the failure too.
            .map_err(|e: Arc<DbError>| Arc::try_unwrap(e).unwrap_or_else(DbError::Shared))
    }
}

/// The host name of a `Host` header value: lowercased, port and trailing dot removed. IP
/// literals are nobody's domain.
pub(crate) fn host_name(host: &str) -> Option<String> {
    let host = host.trim();
    if host.starts_with('[') {
        return None; // IPv6 literal
    }
    let name = host.rsplit_once(':').map_or(host, |(name, _port)| name);
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() || name.parse::<std::net::Ipv4Addr>().is_ok() {
        return None;
    }
    Some(name)
}

/// Reads the brand of a request from `X-Tenant-ID` or `Host`, for the extractors below.
async fn brand_of_request(request: &Request, param_name: &str) -> Result<Arc<Tenant>, ApiError> {
    debug_assert_eq!(
        param_name, TENANT_HEADER,
        "declare the brand parameter as #[oai(name = \"X-Tenant-ID\")]"
    );
    // startup.rs adds the resolver to every request; without it no brand can be known.
    let resolver = request.data::<TenantResolver>().ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("no TenantResolver in the request data"))
    })?;
    let header = request
        .headers()
        .get(TENANT_HEADER)
        .and_then(|v| v.to_str().ok());
    let host = request
        .headers()
        .get(poem::http::header::HOST)
        .and_then(|v| v.to_str().ok());
    let tenant = resolver.from_request(header, host).await?;
    tracing::Span::current().record("tenant.id", tracing::field::display(tenant.id));
    // The request's metrics are labelled with the brand only once it is resolved: an unknown
    // X-Tenant-ID never becomes a label.
    if let Some(slot) = request.data::<crate::metrics::BrandSlot>() {
        slot.note(&tenant.slug);
    }
    Ok(tenant)
}

/// Implements the spec side of a brand extractor: an optional string header parameter.
macro_rules! brand_header_param {
    () => {
        const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
        const PARAM_IS_REQUIRED: bool = false;

        type ParamType = String;
        type ParamRawType = String;

        fn register(registry: &mut Registry) {
            <String as Type>::register(registry);
        }

        fn param_in() -> Option<MetaParamIn> {
            Some(MetaParamIn::Header)
        }

        fn param_schema_ref() -> Option<MetaSchemaRef> {
            Some(<String as Type>::schema_ref())
        }
    };
}

/// The storefront caller in a brand: an extractor resolving the request's **active** brand,
/// declared in the spec as the `X-Tenant-ID` header. Use it as
/// `#[oai(name = "X-Tenant-ID")] brand: Storefront`.
pub struct Storefront(pub TenantScope);

impl<'a> ApiExtractor<'a> for Storefront {
    brand_header_param!();

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let tenant = brand_of_request(request, param_opts.name).await?;
        if !tenant.is_active {
            // A deactivated brand's storefront is gone; its data stays.
            return Err(ApiError::from(TenantError::NotFound).into());
        }
        Ok(Self(TenantScope::new(tenant, Actor::Storefront)))
    }
}

/// The brand a staff request acts in, active or not (staff prepare a brand before it opens and
/// keep working on it after it closes). Holding one grants nothing: the caller's role in it is
/// checked by `identity::Staff::authorize` before any data is touched. Declare it as
/// `#[oai(name = "X-Tenant-ID")] brand: StaffBrand`.
pub struct StaffBrand(pub(crate) Arc<Tenant>);

impl StaffBrand {
    pub fn tenant(&self) -> &Tenant {
        &self.0
    }
}

impl<'a> ApiExtractor<'a> for StaffBrand {
    brand_header_param!();

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self(brand_of_request(request, param_opts.name).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[test]
    fn host_names() {
        assert_eq!(
            host_name("Fiber-X.example:8080").as_deref(),
            Some("fiber-x.example")
        );
        assert_eq!(
            host_name("shop.suzume.jp.").as_deref(),
            Some("shop.suzume.jp")
        );
        assert_eq!(host_name("127.0.0.1:8080"), None);
        assert_eq!(host_name("[::1]:8080"), None);
        assert_eq!(host_name(""), None);
    }
}
