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

/// `Retry-After` in seconds, when the server sent one.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(Duration::from_secs)
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
}
