//! Rate limits per route group, per client and (for checkout) per brand.
//!
//! Every request is classified into a [`Group`] by method and path before any handler runs;
//! a group has a quota per client (the client's IP; IPv6 by /64) and checkout also one per brand
//! (all clients together, so many clients cannot hoard one brand's stock). A request over a quota
//! is refused with 429, `Retry-After` and the IETF `RateLimit`/`RateLimit-Policy` headers
//! (draft-ietf-httpapi-ratelimit-headers), before it reaches a password check or a transaction;
//! responses under a quota carry the same headers.
//!
//! The algorithm is GCRA (a token bucket holding `q` requests, refilled evenly over `w` seconds),
//! one definition for both stores: in process by default, and in Redis when `REDIS_URL` is set,
//! so replicas share one count (a Lua script does the same arithmetic on Redis' clock). While
//! Redis is unreachable or slow, each replica limits on its own count rather than not at all.
//!
//! The client's IP is the connection's peer, unless `TRUSTED_PROXY_HEADER` names the header a
//! trusted proxy in front sets: then the last address in it (the one that proxy appended; an
//! address a client put earlier in `X-Forwarded-For` is not believed).

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use fred::prelude::{ClientLike, LuaInterface};
use poem::{
    Request, Response,
    http::{HeaderName, HeaderValue, Method},
};

/// A route group with its own quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Sign-in and everything that checks a password or an invitation token.
    Login,
    /// Placing orders (holds stock).
    Checkout,
    /// Storefront reads.
    Storefront,
    /// Meta's and the payment provider's callbacks.
    Webhooks,
    /// Staff writes (anything but GET under `/v1/admin/`).
    StaffWrites,
}

impl Group {
    pub const ALL: [Group; 5] = [
        Group::Login,
        Group::Checkout,
        Group::Storefront,
        Group::Webhooks,
        Group::StaffWrites,
    ];

    /// The policy's name in the `RateLimit` headers and in keys.
    pub fn name(self) -> &'static str {
        match self {
            Group::Login => "login",
            Group::Checkout => "checkout",
            Group::Storefront => "storefront",
            Group::Webhooks => "webhooks",
            Group::StaffWrites => "staff-writes",
        }
    }

    /// The group of a request, if it is limited at all (health checks and staff reads are not).
    pub fn of(method: &Method, path: &str) -> Option<Group> {
        let path = path.trim_end_matches('/');
        let post = method == Method::POST;
        if post
            && matches!(
                path,
                "/v1/auth/login"
                    | "/v1/auth/password"
                    | "/v1/auth/invitations/accept"
                    | "/v1/auth/invitations/accept-signed-in"
            )
        {
            Some(Group::Login)
        } else if post && path == "/v1/storefront/checkouts" {
            Some(Group::Checkout)
        } else if path.starts_with("/v1/storefront/") {
            Some(Group::Storefront)
        } else if path.starts_with("/v1/webhooks/") || path == "/v1/payments/callback" {
            Some(Group::Webhooks)
        } else if path.starts_with("/v1/admin/") && method != Method::GET && method != Method::HEAD
        {
            Some(Group::StaffWrites)
        } else {
            None
        }
    }
}

/// At most `limit` requests per `window`, refilled evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub window: Duration,
}

impl Quota {
    /// Parses `N/SECONDS`, e.g. `10/60`.
    pub fn parse(s: &str) -> Option<Quota> {
        let (n, secs) = s.trim().split_once('/')?;
        let limit: u32 = n.trim().parse().ok()?;
        let secs: u64 = secs.trim().parse().ok()?;
        ((1..=1_000_000).contains(&limit) && (1..=86_400).contains(&secs)).then(|| Quota {
            limit,
            window: Duration::from_secs(secs),
        })
    }

    fn window_ms(self) -> u64 {
        u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX)
    }

    /// Milliseconds between two requests at the sustained rate (at least 1).
    fn interval_ms(self) -> u64 {
        (self.window_ms() / u64::from(self.limit)).max(1)
    }
}

/// The quotas in force (`RATE_LIMITS`, `RATE_LIMIT_<GROUP>`, `TRUSTED_PROXY_HEADER`).
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Per client, by group; a group without one is not limited per client.
    pub per_client: Vec<(Group, Quota)>,
    /// Checkout's quota per brand, all clients together.
    pub checkout_per_brand: Option<Quota>,
    /// The header a trusted proxy sets with the client's address.
    pub client_ip_header: Option<HeaderName>,
}

impl RateLimitSettings {
    /// The defaults: generous for people, tight for what is worth abusing.
    pub fn defaults() -> Self {
        let q = |limit, secs| Quota {
            limit,
            window: Duration::from_secs(secs),
        };
        Self {
            per_client: vec![
                (Group::Login, q(20, 60)),
                (Group::Checkout, q(10, 60)),
                (Group::Storefront, q(1200, 60)),
                (Group::Webhooks, q(6000, 60)),
                (Group::StaffWrites, q(600, 60)),
            ],
            checkout_per_brand: Some(q(600, 60)),
            client_ip_header: None,
        }
    }

    /// No limits at all (`RATE_LIMITS=off`).
    pub fn off() -> Self {
        Self {
            per_client: Vec::new(),
            checkout_per_brand: None,
            client_ip_header: None,
        }
    }

    fn per_client(&self, group: Group) -> Option<Quota> {
        self.per_client
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, q)| *q)
    }
}

/// What one quota said about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decision {
    allowed: bool,
    /// Requests left in the quota after this one.
    remaining: u32,
    /// Seconds until the quota is whole again.
    reset_secs: u64,
    /// Seconds until a refused request may be sent again.
    retry_after_secs: u64,
}

impl Decision {
    /// Admitted, with the next request's arrival `ahead_ms` past now.
    fn admitted(ahead_ms: u64, quota: Quota) -> Self {
        Decision {
            allowed: true,
            remaining: u32::try_from(
                quota.window_ms().saturating_sub(ahead_ms) / quota.interval_ms(),
            )
            .unwrap_or(u32::MAX),
            reset_secs: ahead_ms.div_ceil(1000),
            retry_after_secs: 0,
        }
    }

    /// Refused: the stored arrival is `tat_ms` past now, and a request fits in `retry_ms`.
    fn refused(tat_ms: u64, retry_ms: u64) -> Self {
        Decision {
            allowed: false,
            remaining: 0,
            reset_secs: tat_ms.div_ceil(1000),
            retry_after_secs: retry_ms.div_ceil(1000).max(1),
        }
    }
}

/// GCRA on a stored "theoretical arrival time" (ms on the store's clock): the one definition,
/// mirrored by [`GCRA_SCRIPT`]. Returns the decision and the time to store (none: refused).
fn gcra(stored: Option<u64>, now: u64, quota: Quota) -> (Decision, Option<u64>) {
    let tat = stored.unwrap_or(now).max(now);
    let next = tat + quota.interval_ms();
    let ahead = next - now;
    let window = quota.window_ms();
    if ahead > window {
        (Decision::refused(tat - now, ahead - window), None)
    } else {
        (Decision::admitted(ahead, quota), Some(next))
    }
}

/// [`gcra`] in Redis, on Redis' clock. Returns `{1, ahead_ms, 0}` (admitted) or
/// `{0, tat_ms, retry_ms}` (refused), the arguments of [`Decision`]'s constructors.
const GCRA_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local ahead = tat + interval - now
if ahead > window then
  return {0, tat - now, ahead - window}
end
redis.call('SET', KEYS[1], tat + interval, 'PX', ahead)
return {1, ahead, 0}
";

/// The header that names a brand (`tenants::TENANT_HEADER`; plumbing does not reach up to it).
const BRAND_HEADER: &str = "x-tenant-id";

/// Local entries are swept of expired ones when the map grows past this.
const SWEEP_AT: usize = 10_000;

/// The limiter: settings and the two stores. Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    settings: Arc<RateLimitSettings>,
    local: Arc<Mutex<HashMap<String, u64>>>,
    epoch: Instant,
    redis: Option<fred::clients::Client>,
}

impl RateLimiter {
    /// Limits counted in this process.
    pub fn local(settings: RateLimitSettings) -> Self {
        Self {
            settings: Arc::new(settings),
            local: Arc::default(),
            epoch: Instant::now(),
            redis: None,
        }
    }

    /// Limits shared through Redis (connected in the background; counted locally until it
    /// answers).
    pub fn shared(settings: RateLimitSettings, redis: fred::clients::Client) -> Self {
        Self {
            redis: Some(redis),
            ..Self::local(settings)
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn check_local(&self, key: &str, quota: Quota) -> Decision {
        let now = self.now_ms();
        let mut map = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= SWEEP_AT {
            map.retain(|_, tat| *tat > now);
        }
        let (decision, store) = gcra(map.get(key).copied(), now, quota);
        if let Some(tat) = store {
            map.insert(key.to_owned(), tat);
        }
        decision
    }

    async fn check(&self, key: &str, quota: Quota) -> Decision {
        if let Some(redis) = self.redis.as_ref().filter(|c| c.is_connected()) {
            let args = vec![quota.interval_ms(), quota.window_ms()];
            let out: Result<Vec<i64>, _> =
                redis.eval(GCRA_SCRIPT, vec![key.to_owned()], args).await;
            match out.as_deref() {
                Ok([1, ahead, _]) => return Decision::admitted(ahead.unsigned_abs(), quota),
                Ok([_, tat, retry]) => {
                    return Decision::refused(tat.unsigned_abs(), retry.unsigned_abs());
                }
                other => {
                    tracing::warn!(error = ?other.err(), "rate limit store unavailable: counting in process");
                }
            }
        }
        self.check_local(key, quota)
    }

    /// The client's address as the limits see it: the trusted proxy's header when configured,
    /// else the peer; IPv6 addresses by their /64. The login counts failures by it too.
    pub fn client(&self, req: &Request) -> String {
        let from_header = self.settings.client_ip_header.as_ref().and_then(|name| {
            let value = req.headers().get(name)?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        });
        let ip = from_header.or_else(|| req.remote_addr().as_socket_addr().map(|a| a.ip()));
        match ip {
            Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
            Some(ip) => ip.to_string(),
            None => "unknown".to_owned(),
        }
    }

    /// What names the brand in a request (the header, else the Host), as a key part.
    fn brand(req: &Request) -> String {
        let named = req
            .headers()
            .get(BRAND_HEADER)
            .or_else(|| req.headers().get(poem::http::header::HOST))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let named: String = named.chars().take(253).collect();
        named.to_ascii_lowercase()
    }

    /// Checks a request against its group's quotas. `Ok(headers)`: it may proceed, and the
    /// response gets these headers; `Err(refused)`: answer 429 instead.
    pub async fn admit(&self, req: &Request) -> Result<Option<RateHeaders>, Refused> {
        let Some(group) = Group::of(req.method(), req.uri().path()) else {
            return Ok(None);
        };
        let mut checks: Vec<(String, Quota, String)> = Vec::new();
        if let Some(quota) = self.settings.per_client(group) {
            let key = format!("bh:rl:{{{}:ip:{}}}", group.name(), self.client(req));
            checks.push((group.name().to_owned(), quota, key));
        }
        if group == Group::Checkout
            && let Some(quota) = self.settings.checkout_per_brand
        {
            let key = format!("bh:rl:{{checkout:brand:{}}}", Self::brand(req));
            checks.push(("checkout-brand".to_owned(), quota, key));
        }
        if checks.is_empty() {
            return Ok(None);
        }
        let mut policies = Vec::new();
        let mut tightest: Option<(String, Decision)> = None;
        for (name, quota, key) in checks {
            let decision = self.check(&key, quota).await;
            policies.push(format!(
                "\"{name}\";q={};w={}",
                quota.limit,
                quota.window.as_secs()
            ));
            let tighter = tightest.as_ref().is_none_or(|(_, d)| {
                !decision.allowed || (d.allowed && decision.remaining < d.remaining)
            });
            if tighter {
                tightest = Some((name, decision));
            }
            if !decision.allowed {
                break;
            }
        }
        let Some((name, decision)) = tightest else {
            return Ok(None);
        };
        let headers = RateHeaders {
            policy: policies.join(", "),
            state: format!(
                "\"{name}\";r={};t={}",
                decision.remaining, decision.reset_secs
            ),
        };
        if decision.allowed {
            Ok(Some(headers))
        } else {
            tracing::info!(policy = %name, retry_after = decision.retry_after_secs, "rate limited");
            Err(Refused {
                retry_after_secs: decision.retry_after_secs,
                headers,
            })
        }
    }
}

/// A request over a quota: the caller answers 429 with `Retry-After` and these headers.
pub struct Refused {
    pub retry_after_secs: u64,
    pub headers: RateHeaders,
}

/// The `RateLimit-Policy` and `RateLimit` header values of one response.
pub struct RateHeaders {
    policy: String,
    state: String,
}

impl RateHeaders {
    pub fn apply(&self, resp: &mut Response) {
        for (name, value) in [
            ("ratelimit-policy", &self.policy),
            ("ratelimit", &self.state),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                resp.headers_mut().insert(name, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_of_three_per_minute() {
        let quota = Quota::parse("3/60").unwrap();
        let (mut tat, mut now) = (None, 1_000_000);
        let mut seen = Vec::new();
        for _ in 0..4 {
            let (d, store) = gcra(tat, now, quota);
            tat = store.or(tat);
            seen.push((d.allowed, d.remaining));
        }
        assert_eq!(seen, [(true, 2), (true, 1), (true, 0), (false, 0)]);
        // One interval later (20 s), one more fits.
        let (d, _) = gcra(tat, now, quota);
        assert_eq!(d.retry_after_secs, 20);
        now += 20_000;
        assert!(gcra(tat, now, quota).0.allowed);
    }

    #[test]
    fn groups_and_quotas_parse() {
        assert_eq!(
            Group::of(&Method::POST, "/v1/auth/login"),
            Some(Group::Login)
        );
        assert_eq!(
            Group::of(&Method::POST, "/v1/storefront/checkouts/"),
            Some(Group::Checkout)
        );
        assert_eq!(
            Group::of(&Method::GET, "/v1/storefront/products"),
            Some(Group::Storefront)
        );
        assert_eq!(Group::of(&Method::GET, "/v1/admin/orders"), None);
        assert_eq!(
            Group::of(&Method::PATCH, "/v1/admin/products/1"),
            Some(Group::StaffWrites)
        );
        assert_eq!(Group::of(&Method::GET, "/healthz"), None);
        for bad in ["", "10", "0/60", "10/0", "x/60", "10/x"] {
            assert_eq!(Quota::parse(bad), None, "{bad}");
        }
    }
}
