//! Order access tokens: what lets a storefront customer read their order later without an
//! account. A token is `ot_` + base64url(HMAC-SHA256(ORDER_TOKEN_SECRET, brand || order)):
//! unguessable without the secret, nothing to store (so an idempotent checkout retry returns
//! the same token), and checked in constant time.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use uuid::Uuid;

const PREFIX: &str = "ot_";

fn mac(secret: &SecretSlice<u8>, tenant: Uuid, order: Uuid) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret())
        .expect("HMAC takes keys of any length");
    mac.update(b"brandhouse-order-token\0");
    mac.update(tenant.as_bytes());
    mac.update(order.as_bytes());
    mac
}

pub fn issue(secret: &SecretSlice<u8>, tenant: Uuid, order: Uuid) -> String {
    format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(mac(secret, tenant, order).finalize().into_bytes())
    )
}

pub fn verify(secret: &SecretSlice<u8>, tenant: Uuid, order: Uuid, token: &str) -> bool {
    let Some(encoded) = token.strip_prefix(PREFIX) else {
        return false;
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(encoded) else {
        return false;
    };
    mac(secret, tenant, order).verify_slice(&bytes).is_ok()
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
}
