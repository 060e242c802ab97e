//! The Redis cache (fred), keyed by brand from the inside.
//!
//! Callers hand over a [`TenantScope`] and an entry description; every key is built here from
//! the scope's tenant id, so no call site can read or write another brand's entries. Keys
//! share the hash tag `{<tenant id>}` (Redis Cluster keeps a brand on one slot):
//!
//! - `bh:{t}:catver`: the brand's catalog version, incremented after every committed catalog
//!   write;
//! - `bh:{t}:cat:<version>:<digest of the parameters>`: a serialised storefront response,
//!   expiring after `CACHE_TTL_SECS` (short by default: responses carry stock availability,
//!   which changes with every order without bumping the catalog version).
//!
//! A read gets the version and the entry in one round trip (a Lua script). A write bumps the
//! version after commit, so entries of older versions are never read again, including one
//! written late by a request that read the database before the write.
//!
//! Redis is optional: without `REDIS_URL`, while it is unreachable, or when a command takes
//! longer than `REDIS_TIMEOUT_MS`, reads miss and writes are skipped; answers come from the
//! database, correct and slower. Nothing here returns an error to a request.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use fred::prelude::{
    Builder, ClientLike, Config as RedisConfig, KeysInterface, LuaInterface, ReconnectPolicy,
};

use uuid::Uuid;

use crate::scope::TenantScope;

const READ_SCRIPT: &str = r"
local v = redis.call('GET', KEYS[1]) or '0'
return {v, redis.call('GET', KEYS[2] .. v .. ':' .. ARGV[1])}
";

/// A storefront catalog response that may be cached.
fn version_key(tenant: Uuid) -> String {
    format!("bh:{{{tenant}}}:catver")
}

#[derive(Debug, Clone)]
pub enum CatalogEntry<'a> {
    /// A page of the product list.
    List {
        category: Option<&'a str>,
        search: Option<&'a str>,
        cursor: Option<&'a str>,
        limit: u32,
        zone: Option<&'a str>,
    },
    /// One product's detail.
    Product { number: i32, zone: Option<&'a str> },
}

impl CatalogEntry<'_> {
    /// The entry's key suffix: a digest of every parameter that shapes the response,
    /// unambiguously encoded (search text can be long).
    fn field(&self) -> String {
        use sha2::{Digest, Sha256};
        let params = match self {
            CatalogEntry::List {
                category,
                search,
                cursor,
                limit,
                zone,
            } => serde_json::json!(["list", category, search, cursor, limit, zone]).to_string(),
            CatalogEntry::Product { number, zone } => {
                serde_json::json!(["product", number, zone]).to_string()
            }
        };
        hex::encode(&Sha256::digest(params.as_bytes())[..16])
    }
}

/// The outcome of a cache read.
pub enum Lookup<T> {
    Hit(T),
    /// Not cached; `version` is what to store the fresh value under (none: do not store).
    Miss {
        version: Option<String>,
    },
}

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
}

impl Cache {
    /// No cache at all.
    pub fn disabled() -> Self {
        Self {
            client: None,
            ttl: Duration::ZERO,
            pending: Arc::default(),
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

    fn hash_prefix(scope: &TenantScope) -> String {
        format!("bh:{{{}}}:cat:", scope.tenant_id())
    }

    /// Reads a catalog entry (a serialised JSON document) of the scope's brand.
    pub async fn catalog_get(
        &self,
        scope: &TenantScope,
        entry: &CatalogEntry<'_>,
    ) -> Lookup<String> {
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
                vec![Self::version_key(scope), Self::hash_prefix(scope)],
                vec![entry.field()],
            )
            .await;
        match result {
            Ok((_, Some(json))) => {
                cache_lookup(CacheResult::Hit);
                Lookup::Hit(json)
            }
            Ok((version, None)) => {
                cache_lookup(CacheResult::Miss);
                Lookup::Miss {
                    version: Some(version),
                }
            }
            Err(e) => {
                cache_lookup(CacheResult::Error);
                tracing::debug!(error = %e, "cache read failed; using the database");
                Lookup::Miss { version: None }
            }
        }
    }

    /// Stores a catalog entry (serialised JSON) under the version its read returned, in the
    /// background.
    pub fn catalog_put(
        &self,
        scope: &TenantScope,
        version: Option<String>,
        entry: &CatalogEntry<'_>,
        json: &str,
    ) {
        let (Some(client), Some(version)) = (self.live(), version) else {
            return;
        };
        let json = json.to_owned();
        let key = format!("{}{version}:{}", Self::hash_prefix(scope), entry.field());
        let client = client.clone();
        let ttl = self.ttl.as_secs().max(1) as i64;
        tokio::spawn(async move {
            let stored: Result<(), _> = client
                .set(
                    &key,
                    json,
                    Some(fred::types::Expiration::EX(ttl)),
                    None,
                    false,
                )
                .await;
            if let Err(e) = stored {
                tracing::debug!(error = %e, "cache write failed");
            }
        });
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
