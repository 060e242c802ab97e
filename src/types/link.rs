//! Links a customer is shown, e.g. a carrier's tracking page.

use super::{TypeError, openapi::string_schema, openapi::string_type};

/// An absolute `https://` URL of at most 2,000 characters, with a host name (letters, digits,
/// dots and hyphens, an optional port) and no user name or password, written in visible ASCII
/// without the characters that cannot appear in a URL unescaped (space, `"`, `<`, `>`, `\`,
/// `^`, `` ` ``, `{`, `|`, `}`). A storefront renders it as a link, so nothing but `https`
/// (no `javascript:`, no `http:`) and nothing that could break out of an attribute. The scheme
/// is stored lowercase; the rest as sent (a non-ASCII path is sent percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpsUrl(String);

impl HttpsUrl {
    pub const MAX_LEN: usize = 2000;

    const RULE: &str = "an https:// URL with a host name, at most 2000 visible ASCII characters";

    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let s = s.trim();
        let rule = || TypeError::new(Self::RULE);
        if s.len() > Self::MAX_LEN
            || !s
                .bytes()
                .all(|b| b.is_ascii_graphic() && !br#""<>\^`{|}"#.contains(&b))
        {
            return Err(rule());
        }
        let (scheme, rest) = s.split_at_checked(8).ok_or_else(rule)?;
        if !scheme.eq_ignore_ascii_case("https://") {
            return Err(rule());
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                (1..=63).contains(&label.len())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        let port_ok = port.is_none_or(|p| {
            (1..=5).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n > 0)
        });
        if !host_ok || !port_ok {
            return Err(rule());
        }
        Ok(Self(format!("https://{rest}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

string_type!(
    [] HttpsUrl,
    "string(https-url)",
    string_schema(Some(9), Some(HttpsUrl::MAX_LEN), Some("^[Hh][Tt][Tt][Pp][Ss]://"))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_links_are_https_urls_with_a_host() {
        for (sent, stored) in [
            (
                "https://www.dhl.de/track?piececode=00340434161094042557",
                "https://www.dhl.de/track?piececode=00340434161094042557",
            ),
            ("  HTTPS://ups.com  ", "https://ups.com"),
            (
                "https://t.example.com:8443/a%20b#frag",
                "https://t.example.com:8443/a%20b#frag",
            ),
        ] {
            assert_eq!(HttpsUrl::parse(sent).unwrap().as_str(), stored);
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let long = format!("https://example.com/{}", "a".repeat(HttpsUrl::MAX_LEN));
        for bad in [
            "",
            "https://",
            "http://example.com",
            "javascript:alert(1)",
            "//example.com",
            "https://user:pw@example.com/",
            "https://exa mple.com",
            "https://example.com/\"onmouseover=x",
            "https://example.com/<script>",
            "https://example.com/\0",
            "https://-bad-.com",
            "https://example..com",
            "https://example.com:0/",
            "https://example.com:99999/",
            "https://[::1]/",
            "https://exämple.com",
            long.as_str(),
        ] {
            assert!(HttpsUrl::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
