//! Domain types parsed at the edge: a value of one of these types has been checked once, so
//! code that holds one never checks it again.
//!
//! Each type has a `parse` that returns `Result<Self, TypeError>`, `as_str` (or `get`), and
//! `Display`; the error's text is the message a client sees in a 422's `errors[].field`. Every
//! text type refuses NUL characters: PostgreSQL cannot store them in `text` or `jsonb`, so one
//! that reached the database would be a 500 instead of the client's 422.
//!
//! The types are also poem-openapi types (`Type`, `ParseFromJSON`, `ToJSON`,
//! `ParseFromParameter`): a parameter or response field of type [`Sku`] shows its rules in the
//! spec and is parsed by poem-openapi. A request *body* field that must be reported together
//! with the request's other invalid fields (one 422 naming them all, not a 400 for the first
//! one) is an [`Unchecked<T>`] instead: the spec shows `T`'s schema and the service parses it.
//!
//! Statuses and kinds are enums declared with [`text_enum!`]: one Rust enum per concept, the
//! same strings in the database (`FromSql`/`ToSql` for `text` columns), the API and the spec.
//!
//! This is plumbing: it depends on std, serde, poem-openapi and tokio-postgres only, never on a
//! domain module.
//!
//! # Layout
//! - [`text`]: trimmed text of bounded length ([`Text`], [`DisplayName`]) and slugs.
//! - [`codes`]: short uppercase codes (SKU, SKU prefix, currency, category, zone) and host names.
//! - [`contact`]: email, phone number, language code.
//! - [`country`]: ISO 3166-1 alpha-2 country codes. [`address`]: postal addresses, checked per
//!   country.
//! - [`link`]: `https://` URLs a customer is shown ([`HttpsUrl`]).
//! - [`locale`]: BCP 47 locale tags ([`Locale`]) and `Accept-Language` negotiation.
//! - [`quantity`]: positive unit counts.
//! - [`unchecked`]: [`Unchecked<T>`], a request field parsed by the service.
//! - [`nullable`]: [`Nullable<T>`], a response field that is always present and may be `null`.
//! - [`enums`]: the [`text_enum!`] macro.

use std::{borrow::Cow, fmt};

pub mod address;
pub mod codes;
pub mod contact;
pub mod country;
pub mod enums;
pub mod link;
pub mod locale;
pub mod nullable;
mod openapi;
pub mod quantity;
pub mod text;
pub mod unchecked;

pub use address::{Address, AddressInput};
pub use codes::{CategoryCode, CurrencyCode, DomainName, PhoneNumberId, Sku, SkuPrefix, ZoneCode};
pub use contact::{Email, LanguageCode, PhoneNumber};
pub use country::CountryCode;
pub use link::HttpsUrl;
pub use locale::Locale;
pub use nullable::Nullable;
pub use quantity::Quantity;
pub use text::{Description, DisplayName, Handle, Slug, Text};
pub use unchecked::Unchecked;

/// Why a value is not one of these types: a message for the client, naming no field (the
/// caller knows which field it parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError(Cow<'static, str>);

impl TypeError {
    /// An error with a fixed message.
    pub const fn new(message: &'static str) -> Self {
        Self(Cow::Borrowed(message))
    }

    /// An error with a message built at run time.
    pub fn owned(message: String) -> Self {
        Self(Cow::Owned(message))
    }

    /// The message, for the client.
    pub fn message(&self) -> &str {
        &self.0
    }

    /// The message, owned.
    pub fn into_message(self) -> String {
        self.0.into_owned()
    }
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TypeError {}

/// The one message for a NUL character, in every text type.
pub(crate) const NUL_MESSAGE: &str = "must not contain NUL characters";

/// Refuses a NUL character, which PostgreSQL cannot store in `text` or `jsonb`.
pub fn refuse_nul(s: &str) -> Result<(), TypeError> {
    if s.contains('\0') {
        Err(TypeError::new(NUL_MESSAGE))
    } else {
        Ok(())
    }
}

/// Whether a request target (path and query, still percent-encoded) carries a NUL (`%00`):
/// such a request is refused at the edge, before any parameter reaches the database.
pub fn uri_has_nul(target: &str) -> bool {
    target
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// Refuses a NUL character in any string or key of a JSON value (PostgreSQL's `jsonb` cannot
/// store one either).
pub fn refuse_nul_in_json(value: &serde_json::Value) -> Result<(), TypeError> {
    match value {
        serde_json::Value::String(s) => refuse_nul(s),
        serde_json::Value::Array(items) => items.iter().try_for_each(refuse_nul_in_json),
        serde_json::Value::Object(map) => map
            .iter()
            .try_for_each(|(k, v)| refuse_nul(k).and_then(|()| refuse_nul_in_json(v))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percent_encoded_nul_is_found_in_a_uri() {
        assert!(uri_has_nul("/v1/storefront/products?q=a%00b"));
        assert!(uri_has_nul("/v1/admin/brands/x%00"));
        assert!(!uri_has_nul("/v1/storefront/products?q=a%2500"));
        assert!(!uri_has_nul("/v1/admin/orders?limit=100"));
    }

    #[test]
    fn nul_is_found_anywhere_in_json() {
        assert!(refuse_nul_in_json(&serde_json::json!({"a": [1, "b", {"c": null}]})).is_ok());
        assert!(refuse_nul_in_json(&serde_json::json!({"a": ["x\u{0}"]})).is_err());
        assert!(refuse_nul_in_json(&serde_json::json!({"a\u{0}": 1})).is_err());
        assert_eq!(refuse_nul("a\0").unwrap_err().message(), NUL_MESSAGE);
    }
}
