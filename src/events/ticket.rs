//! Stream tickets: how a browser's `EventSource`, which cannot send headers, opens a stream
//! without putting the bearer token in a URL (URLs end up in logs and histories).
//!
//! A ticket is `st_` + base64url(session key hash (32) || brand id (16, nil for the company
//! stream) || expiry (8, unix seconds)) + `.` + base64url(HMAC-SHA256 over a label and those
//! bytes), keyed by `ORDER_TOKEN_SECRET`. It names the session it was obtained with: a ticket
//! of a revoked or expired session opens nothing, and the caller's role is checked again when
//! the stream opens. The session key hash is what the database stores, not the token: it cannot
//! be presented as a bearer token. Tickets live for `EVENTS_TICKET_TTL_SECS` (default 60 s).

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeDelta, Utc};
use ring::hmac;
use secrecy::{ExposeSecret, SecretSlice};
use uuid::Uuid;

const PREFIX: &str = "st_";
const LABEL: &[u8] = b"brandhouse-stream-ticket\0";
const BODY_LEN: usize = 32 + 16 + 8;

/// What a valid ticket says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The session's key hash (`sessions.token_hash`).
    pub token_hash: Vec<u8>,
    /// The brand whose stream it opens; `None` for the owner's company stream.
    pub brand: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// Issues and checks tickets. Cheap to clone.
#[derive(Clone)]
pub struct Tickets {
    secret: SecretSlice<u8>,
    ttl: TimeDelta,
}

impl Tickets {
    pub fn new(secret: SecretSlice<u8>, ttl: std::time::Duration) -> Self {
        Self {
            secret,
            ttl: TimeDelta::from_std(ttl).unwrap_or(TimeDelta::seconds(60)),
        }
    }

    fn key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.secret.expose_secret())
    }

    /// A ticket for the session with key hash `token_hash`, for `brand` (or the company).
    pub fn issue(&self, token_hash: &[u8], brand: Option<Uuid>) -> (String, DateTime<Utc>) {
        let expires_at = Utc::now() + self.ttl;
        let mut body = Vec::with_capacity(BODY_LEN);
        body.extend_from_slice(token_hash);
        body.extend_from_slice(brand.unwrap_or(Uuid::nil()).as_bytes());
        body.extend_from_slice(&expires_at.timestamp().to_be_bytes());
        let mut message = LABEL.to_vec();
        message.extend_from_slice(&body);
        let tag = hmac::sign(&self.key(), &message);
        (
            format!(
                "{PREFIX}{}.{}",
                URL_SAFE_NO_PAD.encode(&body),
                URL_SAFE_NO_PAD.encode(tag)
            ),
            expires_at,
        )
    }

    /// The ticket's contents if it is authentic and unexpired.
    pub fn verify(&self, ticket: &str) -> Option<Ticket> {
        let (body, tag) = ticket.strip_prefix(PREFIX)?.split_once('.')?;
        let body = URL_SAFE_NO_PAD.decode(body).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if body.len() != BODY_LEN {
            return None;
        }
        let mut message = LABEL.to_vec();
        message.extend_from_slice(&body);
        hmac::verify(&self.key(), &message, &tag).ok()?;
        let brand = Uuid::from_slice(&body[32..48]).ok()?;
        let expiry = i64::from_be_bytes(body[48..56].try_into().ok()?);
        let expires_at = DateTime::from_timestamp(expiry, 0)?;
        if expires_at <= Utc::now() {
            return None;
        }
        Some(Ticket {
            token_hash: body[..32].to_vec(),
            brand: (!brand.is_nil()).then_some(brand),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tickets(ttl: u64) -> Tickets {
        Tickets::new(
            SecretSlice::from(b"0123456789abcdef0123456789abcdef".to_vec()),
            std::time::Duration::from_secs(ttl),
        )
    }

    #[test]
    fn a_ticket_names_its_session_and_brand_and_refuses_tampering() {
        let t = tickets(60);
        let brand = Uuid::from_u128(9);
        let (ticket, _) = t.issue(&[7; 32], Some(brand));
        let read = t.verify(&ticket).unwrap();
        assert_eq!(read.token_hash, vec![7; 32]);
        assert_eq!(read.brand, Some(brand));
        let (company, _) = t.issue(&[7; 32], None);
        assert_eq!(t.verify(&company).unwrap().brand, None);
        // Another brand's ticket cannot be made from this one.
        let (body, tag) = ticket.split_once('.').unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(&body[3..]).unwrap();
        raw[40] ^= 1;
        let forged = format!("st_{}.{tag}", URL_SAFE_NO_PAD.encode(raw));
        assert_eq!(t.verify(&forged), None);
        // Nor is a ticket keyed by another secret accepted.
        let other = Tickets::new(
            SecretSlice::from(b"another secret, another service.".to_vec()),
            std::time::Duration::from_secs(60),
        );
        assert_eq!(other.verify(&ticket), None);
        assert_eq!(t.verify("st_garbage"), None);
    }

    #[test]
    fn an_expired_ticket_opens_nothing() {
        let t = tickets(0);
        let (ticket, _) = t.issue(&[1; 32], None);
        assert_eq!(t.verify(&ticket), None);
    }
}
