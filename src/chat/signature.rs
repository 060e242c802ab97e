//! Meta signs every webhook POST with the app secret: `X-Hub-Signature-256: sha256=<hex>`, the
//! HMAC-SHA256 of the raw body. Checking it is what stops anyone who finds the webhook URL from
//! injecting customer messages, so it runs on the exact bytes received, before any parsing
//! (re-serialised JSON would not match), and compares in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The request header carrying the signature.
pub const HEADER: &str = "X-Hub-Signature-256";

const PREFIX: &str = "sha256=";

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook signature was refused. None of them is worth a retry: answer 401/403.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no signature header")]
    Missing,
    #[error("the signature does not start with `sha256=`")]
    MissingPrefix,
    #[error("the signature is not hexadecimal")]
    BadHex,
    #[error("the signature is not 32 bytes long")]
    WrongLength,
    #[error("the signature does not match the body")]
    Mismatch,
    /// Refused rather than checking against an empty key, which anyone can compute.
    #[error("no app secret is configured")]
    NoSecret,
}

fn mac(app_secret: &[u8]) -> Result<HmacSha256, SignatureError> {
    if app_secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    // HMAC takes keys of any length; the error case is unreachable but typed.
    HmacSha256::new_from_slice(app_secret).map_err(|_| SignatureError::NoSecret)
}

/// Checks a webhook's `X-Hub-Signature-256` header value (`None` when the header is absent)
/// against the raw body.
pub fn verify(app_secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_digest = header
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::MissingPrefix)?;
    let expected = hex::decode(hex_digest).map_err(|e| match e {
        hex::FromHexError::OddLength => SignatureError::WrongLength,
        _ => SignatureError::BadHex,
    })?;
    if expected.len() != 32 {
        return Err(SignatureError::WrongLength);
    }
    let mut mac = mac(app_secret)?;
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The header value Meta would send for `body`: `sha256=<lowercase hex>`. For tests and fake
/// Meta servers.
pub fn header_value(app_secret: &[u8], body: &[u8]) -> Result<String, SignatureError> {
    let mut mac = mac(app_secret)?;
    mac.update(body);
    Ok(format!(
        "{PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;

    #[test]
    fn a_computed_signature_verifies() {
        let header = header_value(SECRET, BODY).unwrap();
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), 7 + 64);
        assert_eq!(verify(SECRET, BODY, Some(&header)), Ok(()));
        // Uppercase hex is the same digest.
        let upper = format!("sha256={}", header[7..].to_uppercase());
        assert_eq!(verify(SECRET, BODY, Some(&upper)), Ok(()));
    }

    #[test]
    fn matches_a_known_hmac_sha256_vector() {
        // RFC 4231, test case 2.
        let header = header_value(b"Jefe", b"what do ya want for nothing?").unwrap();
        assert_eq!(
            header,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_tampered_body_or_another_secret_is_refused() {
        let header = header_value(SECRET, BODY).unwrap();
        let tampered = br#"{"object":"whatsapp_business_account","entry":[{}]}"#;
        assert_eq!(
            verify(SECRET, tampered, Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other-secret", BODY, Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = header_value(SECRET, BODY).unwrap();
        let hex_part = &good[7..];
        assert_eq!(verify(SECRET, BODY, None), Err(SignatureError::Missing));
        assert_eq!(
            verify(SECRET, BODY, Some(hex_part)),
            Err(SignatureError::MissingPrefix)
        );
        assert_eq!(
            verify(SECRET, BODY, Some(&format!("sha1={hex_part}"))),
            Err(SignatureError::MissingPrefix)
        );
        assert_eq!(
            verify(SECRET, BODY, Some(&format!("sha256={}zz", &hex_part[2..]))),
            Err(SignatureError::BadHex)
        );
        assert_eq!(
            verify(SECRET, BODY, Some(&format!("sha256={}", &hex_part[2..]))),
            Err(SignatureError::WrongLength)
        );
        assert_eq!(
            verify(SECRET, BODY, Some(&format!("sha256={}", &hex_part[1..]))),
            Err(SignatureError::WrongLength)
        );
        assert_eq!(
            verify(SECRET, BODY, Some("sha256=")),
            Err(SignatureError::WrongLength)
        );
    }

    #[test]
    fn an_empty_secret_is_refused() {
        assert_eq!(header_value(b"", BODY), Err(SignatureError::NoSecret));
        let header = header_value(SECRET, BODY).unwrap();
        assert_eq!(
            verify(b"", BODY, Some(&header)),
            Err(SignatureError::NoSecret)
        );
    }
}
