//! Where a webhook may be sent: `https` URLs (plus `http` when `WEBHOOK_ALLOW_HTTP`) whose
//! host resolves only to public addresses (unless `WEBHOOK_ALLOW_PRIVATE_TARGETS`).
//!
//! A brand's staff choose the URL, so without this a webhook is a way to make the server call
//! its own network (SSRF: the database, a cloud metadata service at 169.254.169.254, an admin
//! port on loopback). The check runs twice: when the URL is saved (a clear 422 for staff) and
//! at every delivery, because DNS can change between the two. At delivery the HTTP client's
//! resolver ([`GuardedResolver`]) drops every address that is not allowed, so the connection
//! goes to an address that was checked, never to one resolved again behind the check's back;
//! an IP literal in the URL (which skips the resolver) is checked before sending.
//! Redirects are never followed (a public target could redirect to a private one).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
};

/// The longest target URL accepted.
pub const MAX_URL_CHARS: usize = 2000;

/// Which targets are allowed (`WEBHOOK_ALLOW_*` settings).
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetPolicy {
    pub allow_private: bool,
    pub allow_http: bool,
}

/// True when `ip` is an address a webhook must not reach without `WEBHOOK_ALLOW_PRIVATE_TARGETS`:
/// private, loopback, link-local, CGNAT (100.64.0.0/10), multicast, broadcast, unspecified,
/// documentation and other reserved ranges, in IPv4 and IPv6 alike (an IPv4-mapped or
/// IPv4-compatible IPv6 address is judged as its IPv4 address).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT, 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, 192.0.0.0/24
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, 198.18.0.0/15
        || a >= 240 // reserved, 240.0.0.0/4
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (seg[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation, 2001:db8::/32
        || (seg[0] == 0x0064 && seg[1] == 0xff9b) // NAT64, 64:ff9b::/96 (embeds IPv4)
        || (seg[0] == 0x2002) // 6to4 (embeds IPv4)
        // IPv4-compatible (deprecated) ::a.b.c.d: judged as its IPv4 address.
        || (seg[..6].iter().all(|s| *s == 0) && forbidden_v4(Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            (seg[6] & 0xff) as u8,
            (seg[7] >> 8) as u8,
            (seg[7] & 0xff) as u8,
        )))
}

/// Why a target is refused (the message names the rule, never the resolved addresses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(message: impl Into<String>) -> Refused {
    Refused(message.into())
}

/// Parses a target URL and checks its form: absolute, `https` (or `http` when allowed), a
/// host, no user name or password, at most [`MAX_URL_CHARS`]. Does not resolve it.
pub fn parse_url(raw: &str, policy: TargetPolicy) -> Result<Url, Refused> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().count() > MAX_URL_CHARS {
        return Err(refused(format!(
            "must be a URL of at most {MAX_URL_CHARS} characters"
        )));
    }
    if raw.contains('\0') {
        return Err(refused("must not contain NUL"));
    }
    let url = Url::parse(raw).map_err(|e| refused(format!("is not a valid URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        _ => return Err(refused("must be an https:// URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused("must not carry a user name or password"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refused("must name a host"));
    }
    Ok(url)
}

/// The URL's host as an IP address, when it is an IP literal.
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    // An IPv6 literal is written in brackets; a domain never parses as an address.
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// How long [`check_resolves`] waits for the name to resolve. (Deliveries resolve inside the
/// request, under its `WEBHOOK_TIMEOUT_MS`.)
pub const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Checks where `url` leads now: an IP literal is judged as is; a name is resolved and every
/// address it resolves to must be allowed (when private targets are allowed, only that it
/// resolves).
pub async fn check_resolves(url: &Url, policy: TargetPolicy) -> Result<(), Refused> {
    if let Some(ip) = literal_ip(url) {
        return if !policy.allow_private && is_forbidden(ip) {
            Err(refused(
                "must not point at a private, loopback, link-local or reserved address",
            ))
        } else {
            Ok(())
        };
    }
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    // The system resolver can take tens of seconds to give up on a name (several servers, several
    // tries); an admin request waits at most this long.
    let addrs: Vec<SocketAddr> =
        tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| refused("the host did not resolve in time"))?
            .map_err(|_| refused("the host does not resolve"))?
            .collect();
    if addrs.is_empty() {
        return Err(refused("the host does not resolve"));
    }
    if !policy.allow_private && addrs.iter().any(|a| is_forbidden(a.ip())) {
        return Err(refused(
            "the host resolves to a private, loopback, link-local or reserved address",
        ));
    }
    Ok(())
}

/// The delivery client's resolver: the system's, minus every address that is not allowed. A
/// name left with no address fails to resolve, so the request is never sent.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || !is_forbidden(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(refused(
                    "the host resolves to no allowed address (private, loopback, link-local or reserved addresses are refused)",
                ))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The refusal of [`GuardedResolver`] behind a request error, if that is why it failed.
pub fn refusal(err: &reqwest::Error) -> Option<&Refused> {
    let mut next = std::error::Error::source(err);
    while let Some(cause) = next {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return Some(refused);
        }
        next = cause.source();
    }
    None
}

/// The delivery client: a timeout per attempt, no redirects, no proxy from the environment (a
/// proxy would resolve the name itself, past the guard), and the guarded resolver.
pub fn client(
    timeout: std::time::Duration,
    policy: TargetPolicy,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: policy.allow_private,
        }))
        .user_agent(concat!("brandhouse-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_reserved_addresses_are_forbidden_in_v4_and_v6() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_forbidden(ip(bad)), "{bad} should be forbidden");
        }
        for good in [
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_forbidden(ip(good)), "{good} should be allowed");
        }
    }

    #[test]
    fn urls_must_be_https_with_a_host_and_no_credentials() {
        let strict = TargetPolicy::default();
        assert!(parse_url("https://hooks.example.com/in", strict).is_ok());
        assert!(parse_url("http://hooks.example.com/in", strict).is_err());
        assert!(
            parse_url(
                "http://hooks.example.com/in",
                TargetPolicy {
                    allow_http: true,
                    ..strict
                }
            )
            .is_ok()
        );
        assert!(parse_url("ftp://hooks.example.com/", strict).is_err());
        assert!(parse_url("https://user:pw@hooks.example.com/", strict).is_err());
        assert!(parse_url("not a url", strict).is_err());
        assert!(parse_url(&format!("https://a.example/{}", "x".repeat(2000)), strict).is_err());
    }

    #[tokio::test]
    async fn literal_private_targets_are_refused_unless_allowed() {
        let strict = TargetPolicy::default();
        let url = parse_url("https://127.0.0.1:8443/hook", strict).unwrap();
        assert!(check_resolves(&url, strict).await.is_err());
        let url = parse_url("https://[::ffff:10.0.0.1]/hook", strict).unwrap();
        assert!(check_resolves(&url, strict).await.is_err());
        let loose = TargetPolicy {
            allow_private: true,
            allow_http: false,
        };
        let url = parse_url("https://127.0.0.1:8443/hook", loose).unwrap();
        assert!(check_resolves(&url, loose).await.is_ok());
        let url = parse_url("https://localhost:8443/hook", strict).unwrap();
        assert!(check_resolves(&url, strict).await.is_err());
    }
}
