//! Signed outbound webhooks per brand.
//!
//! A brand's staff register endpoints (an `https` URL and the event types it wants); each gets a
//! signing secret shown once. Delivery is built on the transactional outbox: the statement that
//! records an event (`events::record`) also writes one delivery row per active endpoint of the
//! same brand subscribed to the type and queues a `deliver_webhook` job for it, all in the
//! change's transaction. So an endpoint hears of a change if and only if it committed, once per
//! event, and only endpoints of the event's brand ever get a row (the endpoints are read
//! through RLS, and the delivery's keys carry `tenant_id`).
//!
//! The job runs in the brand's tenant transaction like every job: it reads the delivery, its
//! endpoint and its event (never the `pii` column), sends `POST <url>` with the event as JSON
//! and [`signature`] headers, and records the outcome. Network errors, 408, 429 (its
//! `Retry-After`, seconds or an HTTP-date, honoured) and 5xx are retried with exponential
//! backoff and jitter up to `WEBHOOK_MAX_ATTEMPTS`; other answers end the delivery. After
//! `WEBHOOK_DISABLE_AFTER` deliveries failed in a row the endpoint is disabled and a
//! `webhook.disabled` event is recorded for the brand. Targets are checked against SSRF when
//! saved and at each delivery ([`target`]).
//!
//! # Layout
//! - [`target`]: which URLs and addresses are allowed, and the delivery client's guarded
//!   resolver.
//! - [`service`]: endpoint management, the delivery log, redelivery, sending one delivery,
//!   pruning.
//! - `repo.rs` + `sql/`: the statements. [`api`]: `/v1/admin/webhooks`.

pub mod api;
pub(crate) mod repo;
pub mod service;
pub mod target;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::types::enums::text_enum;

text_enum! {
    /// Where a delivery stands.
    pub enum DeliveryStatus("WebhookDeliveryStatus") {
        /// Waiting for its first attempt or for a retry.
        Pending = "pending",
        /// The endpoint answered 2xx.
        Delivered = "delivered",
        /// Failed for good: out of attempts, an answer that retrying cannot change (a 4xx other
        /// than 408 and 429, a redirect), or the endpoint was disabled.
        Failed = "failed",
    }
}

/// The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "X-Brandhouse-Signature";
/// The header carrying the event's id (receivers deduplicate on it).
pub const EVENT_ID_HEADER: &str = "X-Brandhouse-Event-Id";
/// The header carrying the event's type.
pub const EVENT_TYPE_HEADER: &str = "X-Brandhouse-Event-Type";

/// The signature header's value for `body` sent at `timestamp` (unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. Signing the timestamp
/// with the body lets receivers refuse replays of an old delivery.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC accepts keys of any length; this arm is never taken.
        Err(_) => return format!("t={timestamp},v1="),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// A new signing secret: `whsec_` and 256 random bits in hex.
pub fn new_secret() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_sign_the_timestamp_and_the_body() {
        // HMAC-SHA256("whsec_test", "1700000000.{\"a\":1}"), computed independently:
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let sig = signature("whsec_test", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(
            sig,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(sig, signature("whsec_test", 1_700_000_001, br#"{"a":1}"#));
        assert_ne!(sig, signature("whsec_other", 1_700_000_000, br#"{"a":1}"#));
    }

    #[test]
    fn secrets_are_long_and_random() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64);
    }
}
