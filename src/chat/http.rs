//! What the Graph API and LLM clients share: one way to build a `reqwest` client, and error
//! text that never carries a URL, a token or a message body.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The longest provider error message kept in an error (they can be long, and are logged).
const MAX_MESSAGE_CHARS: usize = 300;

/// A client with an overall request timeout, a shorter connect timeout and no redirects (an
/// API that redirects is misconfigured, and following one would resend the bearer token).
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("brandhouse/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Why a request got no HTTP response, without its URL: the innermost cause (e.g.
/// `Connection refused (os error 111)`) behind a short kind.
pub(crate) fn transport_reason(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "could not read the response"
    } else {
        "request failed"
    };
    let mut innermost = None;
    let mut next = std::error::Error::source(err);
    while let Some(cause) = next {
        innermost = Some(cause);
        next = cause.source();
    }
    match innermost {
        Some(cause) => truncate(&format!("{kind}: {cause}")),
        None => kind.to_owned(),
    }
}

/// `Retry-After`, when the server sent one: delay-seconds or an HTTP-date (RFC 9110 section
/// 10.2.3); a date in the past means now. Callers cap it.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, std::time::SystemTime::now())
}

fn retry_after_at(headers: &HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Cuts a provider's message to a loggable length (on a character boundary).
pub(crate) fn truncate(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let long = "é".repeat(MAX_MESSAGE_CHARS + 10);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, "30".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(30)));
    }

    #[test]
    fn retry_after_reads_an_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Dec 2026 08:00:00 GMT").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            RETRY_AFTER,
            "Sun, 06 Dec 2026 08:01:30 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_at(&headers, now), Some(Duration::from_secs(90)));
        headers.insert(
            RETRY_AFTER,
            "Sun, 06 Dec 2026 07:00:00 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after_at(&headers, now),
            Some(Duration::ZERO),
            "past: now"
        );
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after_at(&headers, now), None);
    }
}
