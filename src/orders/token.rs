//! Order access tokens: what lets a storefront customer read their order later without an
//! account. A token is `ot_` + base64url(HMAC-SHA256(ORDER_TOKEN_SECRET, brand || order)):
//! unguessable without the secret, nothing to store (so an idempotent checkout retry returns
//! the same token), and checked in constant time.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use ring::hmac;
use secrecy::{ExposeSecret, SecretSlice};
use uuid::Uuid;

const PREFIX: &str = "ot_";

/// The key and the message a token authenticates: a fixed label, the brand, the order.
fn key_and_message(secret: &SecretSlice<u8>, tenant: Uuid, order: Uuid) -> (hmac::Key, Vec<u8>) {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose_secret());
    let mut message = b"brandhouse-order-token\0".to_vec();
    message.extend_from_slice(tenant.as_bytes());
    message.extend_from_slice(order.as_bytes());
    (key, message)
}

/// The token of an order of a brand.
pub fn issue(secret: &SecretSlice<u8>, tenant: Uuid, order: Uuid) -> String {
    let (key, message) = key_and_message(secret, tenant, order);
    format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(hmac::sign(&key, &message))
    )
}

/// Whether `token` is the token of this order of this brand (compared in constant time).
pub fn verify(secret: &SecretSlice<u8>, tenant: Uuid, order: Uuid, token: &str) -> bool {
    let Some(encoded) = token.strip_prefix(PREFIX) else {
        return false;
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(encoded) else {
        return false;
    };
    let (key, message) = key_and_message(secret, tenant, order);
    hmac::verify(&key, &message, &bytes).is_ok()
}

/// The keys to storefront orders: the secret tokens are made with and how long after its order
/// is placed a token reads it. Clones share nothing mutable.
#[derive(Clone)]
pub struct OrderTokens {
    secret: SecretSlice<u8>,
    ttl: chrono::TimeDelta,
}

impl OrderTokens {
    /// Tokens keyed by `secret`, valid for `ttl` after their order is placed.
    pub fn new(secret: SecretSlice<u8>, ttl: std::time::Duration) -> Self {
        Self {
            secret,
            ttl: chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX),
        }
    }

    /// The token of an order of a brand, and when it stops reading the order.
    pub fn issue(
        &self,
        tenant: Uuid,
        order: Uuid,
        placed_at: DateTime<Utc>,
    ) -> (String, DateTime<Utc>) {
        (issue(&self.secret, tenant, order), self.expiry(placed_at))
    }

    /// Whether `token` is this order's token (checked in constant time, before any read).
    pub fn matches(&self, tenant: Uuid, order: Uuid, token: &str) -> bool {
        verify(&self.secret, tenant, order, token)
    }

    /// When the token of an order placed at `placed_at` stops reading it.
    pub fn expiry(&self, placed_at: DateTime<Utc>) -> DateTime<Utc> {
        placed_at
            .checked_add_signed(self.ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_brand_and_order() {
        let secret = SecretSlice::from(vec![7u8; 32]);
        let (t, o) = (Uuid::new_v4(), Uuid::new_v4());
        let token = issue(&secret, t, o);
        assert!(verify(&secret, t, o, &token));
        assert_eq!(token, issue(&secret, t, o), "deterministic");
        assert!(!verify(&secret, Uuid::new_v4(), o, &token));
        assert!(!verify(&secret, t, Uuid::new_v4(), &token));
        assert!(!verify(&SecretSlice::from(vec![8u8; 32]), t, o, &token));
        assert!(!verify(&secret, t, o, "ot_garbage"));
        assert!(!verify(&secret, t, o, &token[1..]));
    }

    /// Tokens already handed to customers stay valid: HMAC-SHA256 over the fixed label, the
    /// brand and the order, computed independently (Python's hmac module).
    #[test]
    fn a_token_is_the_documented_hmac() {
        let secret = SecretSlice::from(vec![b'k'; 32]);
        let token = issue(&secret, Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(token, "ot_0pTNpGfrW79TRFR8UHC2WGSuYETne27khLwWPTd-3Hw");
    }
}
