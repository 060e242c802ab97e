//! Opaque bearer tokens: 256 random bits, base64url, prefixed `bh_` so leaked tokens are easy
//! to recognise in logs and secret scanners. Only the SHA-256 of a token is stored.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

const PREFIX: &str = "bh_";

/// A freshly issued token: the value for the client and the hash for the database.
pub struct IssuedToken {
    pub token: String,
    pub hash: Vec<u8>,
}

pub fn issue() -> IssuedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&token);
    IssuedToken { token, hash }
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Cheap shape check before any database work: a malformed token is just unauthenticated.
pub fn looks_valid(token: &str) -> bool {
    token.len() == PREFIX.len() + 43
        && token.starts_with(PREFIX)
        && token[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = issue();
        let b = issue();
        assert_ne!(a.token, b.token);
        assert!(looks_valid(&a.token), "{}", a.token);
        assert_eq!(a.hash, hash(&a.token));
        assert_eq!(a.hash.len(), 32);
        assert!(!looks_valid("bh_short"));
    }
}
