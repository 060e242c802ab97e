//! The Redis cache (fred), keyed by brand from the inside.
//!
//! Callers hand over a [`TenantScope`] and an entry description; every key is built here from
//! the scope's tenant id, so no call site can read or write another brand's entries. Keys
//! share the hash tag `{<tenant id>}` (Redis Cluster keeps a brand on one slot):
//!
//! - `bh:{t}:catver`: the brand's catalog version, incremented after every committed catalog
//!   write;
//! - `bh:{t}:cat:<digest of the parameters>`: a serialised storefront response with the catalog
//!   version it was built under and when (`<version>:<ms>:<json>`), expiring after
//!   `CACHE_TTL_SECS` (short by default: responses carry stock availability, which changes with
//!   every order without bumping the catalog version).
//!
//! A read gets the version and the entry in one round trip (a Lua script); an entry of another
//! version is a miss. A write bumps the version after commit, so entries of older versions are
//! never served again; an entry is stored only while the version it was built under is still
//! current (a second script), so a request that read the database before a write cannot put
//! its page back afterwards. Both scripts name every key they touch in `KEYS` (both keys of a
//! brand, on one hash slot), as Redis Cluster requires: `REDIS_URL` may be a
//! `redis-cluster://` URL, and the tests run the cache and the rate limits on a three-node
//! cluster.
//!
//! Each entry is built once, not once per waiting connection ([`Cache::catalog_fetch`]):
//!
//! - **a miss is a single flight per key in each process**: the first request builds the entry
//!   and stores it; the requests that miss the same key meanwhile wait for its result instead of
//!   all querying PostgreSQL at once (after a catalog write, every key of the brand misses);
//! - **an entry is refreshed ahead of its expiry by one request**: an entry carries the time it
//!   was built; once it is older than the TTL minus [`refresh_window`], the first request to
//!   claim `bh:{t}:refresh:<version>:<digest>` (`SET NX`, shared by every replica) rebuilds it,
//!   and every other request keeps getting the current entry. Busy entries so never expire
//!   under load, so connections do not all rebuild the same page at the same moment.
//!
//! No entry is ever served older than `CACHE_TTL_SECS` (Redis expires it): refreshing ahead
//! only renews entries sooner, it never extends how stale availability may be.
//!
//! Redis is optional: without `REDIS_URL`, while it is unreachable, or when a command takes
//! longer than `REDIS_TIMEOUT_MS`, reads miss and writes are skipped; answers come from the
//! database, correct and slower. Nothing here returns an error to a request.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use fred::{
    prelude::{
        Builder, ClientLike, Config as RedisConfig, KeysInterface, LuaInterface, ReconnectPolicy,
    },
    types::{Expiration, SetOptions},
};
use tokio::sync::OnceCell;

use uuid::Uuid;

use crate::scope::TenantScope;

/// KEYS: the brand's version, the entry. Returns both (the version `0` when never bumped).
const READ_SCRIPT: &str = r"
return {redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[2])}
";

/// KEYS: the brand's version, the entry; ARGV: the version the entry was built under, the
/// stored value, its TTL in seconds. Stores only while that version is current; 1 if stored.
const STORE_SCRIPT: &str = r"
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
";

/// The key of a brand's catalog version.
fn version_key(tenant: Uuid) -> String {
    format!("bh:{{{tenant}}}:catver")
}

/// A storefront catalog response that may be cached.
#[derive(Debug, Clone)]
pub enum CatalogEntry<'a> {
    /// A page of the product list in one locale.
    List {
        category: Option<&'a str>,
        search: Option<&'a str>,
        cursor: Option<&'a str>,
        limit: u32,
        zone: Option<&'a str>,
        /// The negotiated locale (a BCP 47 tag): a Spanish page is never served for English.
        locale: &'a str,
    },
    /// One product's detail in one locale.
    Product {
        number: i32,
        zone: Option<&'a str>,
        locale: &'a str,
    },
    /// The brand's locales and default (what storefront requests negotiate among).
    Locales,
}

impl CatalogEntry<'_> {
    /// The entry's key suffix: a digest of every parameter that shapes the response, the
    /// locale included, unambiguously encoded (search text can be long).
    fn field(&self) -> String {
        use sha2::{Digest, Sha256};
        let params = match self {
            CatalogEntry::List {
                category,
                search,
                cursor,
                limit,
                zone,
                locale,
            } => serde_json::json!(["list", category, search, cursor, limit, zone, locale])
                .to_string(),
            CatalogEntry::Product {
                number,
                zone,
                locale,
            } => serde_json::json!(["product", number, zone, locale]).to_string(),
            CatalogEntry::Locales => serde_json::json!(["locales"]).to_string(),
        };
        hex::encode(&Sha256::digest(params.as_bytes())[..16])
    }
}

/// The outcome of a cache read.
enum Lookup {
    Hit(String),
    /// Cached, and old enough to be refreshed ahead of its expiry under `version`.
    Ageing {
        json: String,
        version: String,
    },
    /// Not cached; `version` is what to store the fresh value under (none: do not store).
    Miss {
        version: Option<String>,
    },
}

/// How long before its expiry an entry may be refreshed: a fifth of the TTL, at least one
/// second, at most half of it.
pub fn refresh_window(ttl: Duration) -> Duration {
    (ttl / 5).max(Duration::from_secs(1)).min(ttl / 2)
}

/// An entry as stored: `<catalog version>:<milliseconds since the epoch when built>:<json>`.
fn encode_entry(version: &str, json: &str, now: SystemTime) -> String {
    let ms = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    format!("{version}:{ms}:{json}")
}

/// A stored entry's (version, time built, json); `None` for anything else (an entry of an
/// earlier format reads as a miss and is replaced).
fn decode_entry(stored: &str) -> Option<(&str, SystemTime, &str)> {
    let (version, rest) = stored.split_once(':')?;
    let (ms, json) = rest.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(version) || !digits(ms) {
        return None;
    }
    let built = UNIX_EPOCH + Duration::from_millis(ms.parse().ok()?);
    Some((version, built, json))
}

/// Whether an entry built at `built` is due for a refresh at `now`.
fn is_ageing(built: SystemTime, now: SystemTime, ttl: Duration) -> bool {
    let age = now.duration_since(built).unwrap_or_default();
    age >= ttl.saturating_sub(refresh_window(ttl))
}

/// Misses being built in this process, by full key: later requests for the key wait for the
/// first one's result.
type Flights = Arc<Mutex<HashMap<String, Arc<OnceCell<String>>>>>;

/// A Redis client that connects (and reconnects) in the background and gives up on a command
/// after `timeout`: callers treat a slow Redis as an absent one.
pub fn redis_client(url: &str, timeout: Duration) -> anyhow::Result<fred::clients::Client> {
    let config = RedisConfig::from_url(url)?;
    let client = Builder::from_config(config)
        .with_connection_config(|c| {
            c.connection_timeout = timeout.max(Duration::from_millis(250));
            c.internal_command_timeout = timeout;
            c.max_command_attempts = 1;
        })
        .with_performance_config(|p| {
            p.default_command_timeout = timeout;
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
        .build()?;
    let _connection = client.connect();
    Ok(client)
}

/// The cache, or its absence. Cheap to clone.
#[derive(Clone)]
pub struct Cache {
    client: Option<fred::clients::Client>,
    ttl: Duration,
    /// Brands whose invalidation could not reach Redis; replayed once it answers again, so a
    /// write during an outage does not leave this replica's old entries in place. A set of ids
    /// is valid whatever a panicking holder did, so a poisoned lock is simply taken over.
    pending: Arc<Mutex<HashSet<Uuid>>>,
    flights: Flights,
}

impl Cache {
    /// No cache at all.
    pub fn disabled() -> Self {
        Self {
            client: None,
            ttl: Duration::ZERO,
            pending: Arc::default(),
            flights: Arc::default(),
        }
    }

    /// Connects in the background: the service starts whether or not Redis is up, and uses
    /// it once it is.
    pub fn connect(url: &str, ttl: Duration, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis_client(url, timeout)?;
        Ok(Self {
            client: Some(client),
            ttl,
            pending: Arc::default(),
            flights: Arc::default(),
        })
    }

    fn live(&self) -> Option<&fred::clients::Client> {
        let client = self.client.as_ref().filter(|c| c.is_connected())?;
        let pending: Vec<Uuid> = {
            let mut set = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            set.drain().collect()
        };
        if !pending.is_empty() {
            let client = client.clone();
            let retry = self.pending.clone();
            tokio::spawn(async move {
                for tenant in pending {
                    let bumped: Result<i64, _> = client.incr(version_key(tenant)).await;
                    if bumped.is_err() {
                        retry
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(tenant);
                    }
                }
            });
        }
        Some(client)
    }

    fn version_key(scope: &TenantScope) -> String {
        version_key(scope.tenant_id())
    }

    fn entry_key(scope: &TenantScope, entry: &CatalogEntry<'_>) -> String {
        format!("bh:{{{}}}:cat:{}", scope.tenant_id(), entry.field())
    }

    /// A catalog entry (a serialised JSON document) of the scope's brand: from the cache, or
    /// made by `build` and then cached. Concurrent misses of one key in this process share one
    /// `build`; an entry near its expiry is rebuilt by one request while the others get it as
    /// it is (see the module documentation). An error of `build` is returned to its caller
    /// (a waiting request then builds for itself).
    pub async fn catalog_fetch<E, F, Fut>(
        &self,
        scope: &TenantScope,
        entry: &CatalogEntry<'_>,
        build: F,
    ) -> Result<String, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, E>>,
    {
        match self.catalog_get(scope, entry).await {
            Lookup::Hit(json) => Ok(json),
            Lookup::Ageing { json, version } => {
                if !self.claim_refresh(scope, &version, entry).await {
                    return Ok(json);
                }
                match build().await {
                    Ok(fresh) => {
                        self.store(scope, entry, &version, &fresh).await;
                        Ok(fresh)
                    }
                    // The entry it had is still valid (younger than the TTL); the next claim
                    // after the window tries again.
                    Err(_) => Ok(json),
                }
            }
            Lookup::Miss { version: None } => build().await,
            Lookup::Miss {
                version: Some(version),
            } => {
                let key = format!("{version}:{}", Self::entry_key(scope, entry));
                let flight = {
                    let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
                    flights.entry(key.clone()).or_default().clone()
                };
                let result = flight
                    .get_or_try_init(|| async {
                        let json = build().await?;
                        self.store(scope, entry, &version, &json).await;
                        Ok(json)
                    })
                    .await
                    .cloned();
                // Landed (or failed): later requests read Redis, or build again.
                let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
                if flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                    flights.remove(&key);
                }
                result
            }
        }
    }

    /// Reads a catalog entry of the scope's brand.
    async fn catalog_get(&self, scope: &TenantScope, entry: &CatalogEntry<'_>) -> Lookup {
        use crate::metrics::{CacheResult, cache_lookup};
        if self.client.is_none() {
            return Lookup::Miss { version: None };
        }
        let Some(client) = self.live() else {
            cache_lookup(CacheResult::Error);
            return Lookup::Miss { version: None };
        };
        let result: Result<(String, Option<String>), _> = client
            .eval(
                READ_SCRIPT,
                vec![Self::version_key(scope), Self::entry_key(scope, entry)],
                Vec::<String>::new(),
            )
            .await;
        match result {
            Ok((version, stored)) => match stored.as_deref().and_then(decode_entry) {
                Some((built_under, built, json)) if built_under == version => {
                    cache_lookup(CacheResult::Hit);
                    if is_ageing(built, SystemTime::now(), self.ttl) {
                        Lookup::Ageing {
                            json: json.to_owned(),
                            version,
                        }
                    } else {
                        Lookup::Hit(json.to_owned())
                    }
                }
                // Not cached, or cached under an older catalog version.
                _ => {
                    cache_lookup(CacheResult::Miss);
                    Lookup::Miss {
                        version: Some(version),
                    }
                }
            },
            Err(e) => {
                cache_lookup(CacheResult::Error);
                tracing::debug!(error = %e, "cache read failed; using the database");
                Lookup::Miss { version: None }
            }
        }
    }

    /// Claims the refresh of an ageing entry for this request, across replicas: the first
    /// `SET NX` wins; the claim lapses after the refresh window (a request that died while
    /// refreshing does not block the next one for longer).
    async fn claim_refresh(
        &self,
        scope: &TenantScope,
        version: &str,
        entry: &CatalogEntry<'_>,
    ) -> bool {
        let Some(client) = self.live() else {
            return false;
        };
        let key = format!(
            "bh:{{{}}}:refresh:{version}:{}",
            scope.tenant_id(),
            entry.field()
        );
        let window = refresh_window(self.ttl).as_millis().max(1) as i64;
        let claimed: Result<Option<String>, _> = client
            .set(
                &key,
                "1",
                Some(Expiration::PX(window)),
                Some(SetOptions::NX),
                false,
            )
            .await;
        matches!(claimed, Ok(Some(_)))
    }

    /// Stores a catalog entry (serialised JSON) built now under catalog `version`, unless the
    /// brand's catalog changed since.
    async fn store(
        &self,
        scope: &TenantScope,
        entry: &CatalogEntry<'_>,
        version: &str,
        json: &str,
    ) {
        let Some(client) = self.live() else {
            return;
        };
        let ttl = self.ttl.as_secs().max(1);
        let stored: Result<i64, _> = client
            .eval(
                STORE_SCRIPT,
                vec![Self::version_key(scope), Self::entry_key(scope, entry)],
                vec![
                    version.to_owned(),
                    encode_entry(version, json, SystemTime::now()),
                    ttl.to_string(),
                ],
            )
            .await;
        if let Err(e) = stored {
            tracing::debug!(error = %e, "cache write failed");
        }
    }

    /// Makes every cached catalog entry of the scope's brand stale. Call after commit.
    pub async fn invalidate_catalog(&self, scope: &TenantScope) {
        if self.client.is_none() {
            return;
        }
        let bumped: Result<i64, _> = match self.live() {
            Some(client) => client.incr(Self::version_key(scope)).await,
            None => Err(fred::error::Error::new(
                fred::error::ErrorKind::IO,
                "not connected",
            )),
        };
        if let Err(e) = bumped {
            tracing::warn!(error = %e, tenant.id = %scope.tenant_id(), "cache invalidation deferred until Redis answers");
            self.pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(scope.tenant_id());
        }
    }

    /// Whether a Redis connection is up (for readiness output and tests).
    pub fn is_connected(&self) -> bool {
        self.live().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_of_different_locales_never_share_a_key() {
        let list = |locale| CatalogEntry::List {
            category: None,
            search: Some("champu"),
            cursor: None,
            limit: 20,
            zone: None,
            locale,
        };
        let product = |locale| CatalogEntry::Product {
            number: 7,
            zone: None,
            locale,
        };
        assert_ne!(list("es").field(), list("en").field());
        assert_ne!(product("es").field(), product("en").field());
        assert_ne!(product("pt").field(), product("pt-BR").field());
        assert_eq!(product("ja").field(), product("ja").field());
        assert_ne!(CatalogEntry::Locales.field(), product("en").field());
    }

    #[test]
    fn entries_carry_their_version_and_the_time_they_were_built() {
        let at = UNIX_EPOCH + Duration::from_millis(1_765_000_000_123);
        let stored = encode_entry("17", r#"{"items":[],"a":"b:c"}"#, at);
        assert_eq!(
            decode_entry(&stored),
            Some(("17", at, r#"{"items":[],"a":"b:c"}"#))
        );
        assert_eq!(decode_entry(r#"{"x":1}"#), None);
        assert_eq!(
            decode_entry("1765000000123:[1,2]"),
            None,
            "an earlier format"
        );
    }

    /// Redis Cluster routes a script by the keys it declares: every key a script touches must
    /// be one of its `KEYS`, never built inside the script.
    #[test]
    fn the_scripts_touch_only_the_keys_they_declare() {
        for script in [READ_SCRIPT, STORE_SCRIPT] {
            for call in script.split("redis.call(").skip(1) {
                let args = call.split(')').next().unwrap_or("");
                let key = args.split(',').nth(1).unwrap_or("").trim();
                assert!(
                    key.starts_with("KEYS[") && key.ends_with(']'),
                    "a key not in KEYS: {call}"
                );
            }
        }
    }

    #[test]
    fn an_entry_is_refreshed_in_the_last_fifth_of_its_life_never_before() {
        let ttl = Duration::from_secs(10);
        assert_eq!(refresh_window(ttl), Duration::from_secs(2));
        assert_eq!(
            refresh_window(Duration::from_secs(1)),
            Duration::from_millis(500)
        );
        assert_eq!(
            refresh_window(Duration::from_secs(3)),
            Duration::from_secs(1)
        );
        let built = UNIX_EPOCH + Duration::from_secs(1_000);
        let at = |s: u64| built + Duration::from_millis(s);
        assert!(!is_ageing(built, at(7_999), ttl));
        assert!(is_ageing(built, at(8_000), ttl));
    }
}
