//! Short codes people read off labels and screens: SKUs, SKU prefixes, currencies, category
//! and zone codes; and host names.

use super::{TypeError, openapi::string_schema, openapi::string_type};

/// Declares a code newtype: the struct, `as_str`, `into_string`, and the shared impls.
macro_rules! code_type {
    ($(#[$meta:meta])* $ty:ident, $name:literal, $min:expr, $max:expr, $pattern:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(String);

        impl $ty {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        string_type!([] $ty, $name, string_schema(Some($min), Some($max), $pattern));
    };
}

code_type!(
    /// A stock-keeping unit as a client sends it: trimmed, 1 to 64 visible ASCII characters
    /// (the catalog issues them as `FBX-HAIR-0042-BLK`; a well-formed SKU that no variant
    /// carries is simply unknown, which the lookup says).
    Sku,
    "string(sku)",
    1,
    Sku::MAX_LEN,
    None
);

impl Sku {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let s = s.trim();
        if (1..=Self::MAX_LEN).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new("a SKU: 1 to 64 visible ASCII characters"))
        }
    }
}

/// `n` to `m` bytes, each an uppercase ASCII letter (or, with `digits`, a digit).
fn is_upper_code(s: &str, len: std::ops::RangeInclusive<usize>, digits: bool) -> bool {
    len.contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || (digits && b.is_ascii_digit()))
}

code_type!(
    /// A brand's SKU prefix: three uppercase letters, e.g. `FBX`; the first part of every SKU
    /// the brand issues.
    SkuPrefix,
    "string(sku_prefix)",
    3,
    3,
    Some("^[A-Z]{3}$")
);

impl SkuPrefix {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if is_upper_code(s, 3..=3, false) {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new("three uppercase letters, e.g. FBX"))
        }
    }
}

code_type!(
    /// An ISO 4217 currency code, e.g. `EUR`.
    CurrencyCode,
    "string(currency)",
    3,
    3,
    Some("^[A-Z]{3}$")
);

impl CurrencyCode {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if is_upper_code(s, 3..=3, false) {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new("an ISO 4217 code, e.g. EUR"))
        }
    }
}

code_type!(
    /// A WhatsApp business phone number's id as Meta issues it (what webhooks name in
    /// `metadata.phone_number_id`): 5 to 32 digits, e.g. `106540352242922`. Not the phone number
    /// people dial.
    PhoneNumberId,
    "string(phone_number_id)",
    5,
    32,
    Some("^[0-9]{5,32}$")
);

impl PhoneNumberId {
    /// Trims, then checks the digits.
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let s = s.trim();
        if (5..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new("5 to 32 digits"))
        }
    }
}

code_type!(
    /// A category's code, the second part of its products' SKUs: 2 to 8 uppercase letters
    /// or digits, e.g. `HAIR`.
    CategoryCode,
    "string(category_code)",
    2,
    8,
    Some("^[A-Z0-9]{2,8}$")
);

impl CategoryCode {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if is_upper_code(s, 2..=8, true) {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new(
                "2 to 8 uppercase letters or digits, e.g. HAIR",
            ))
        }
    }
}

code_type!(
    /// A warehouse zone's code: 2 to 16 uppercase letters, digits or hyphens, not starting
    /// with a hyphen, e.g. `BER` or `HAM-2`.
    ZoneCode,
    "string(zone_code)",
    2,
    16,
    Some("^[A-Z0-9][A-Z0-9-]{1,15}$")
);

impl ZoneCode {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if (2..=16).contains(&s.len())
            && !s.starts_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new(
                "2 to 16 uppercase letters, digits or hyphens",
            ))
        }
    }
}

code_type!(
    /// A lowercase host name such as `shop.example.com` (at most 253 characters, labels of
    /// at most 63, no label starting or ending with a hyphen).
    DomainName,
    "string(hostname)",
    1,
    253,
    Some("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
);

impl DomainName {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let valid = s.len() <= 253
            && s.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new(
                "a lowercase host name such as shop.example.com",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_trimmed_visible_ascii() {
        assert_eq!(
            Sku::parse(" FBX-HAIR-0042 ").unwrap().as_str(),
            "FBX-HAIR-0042"
        );
        for bad in ["", "  ", "FBX HAIR", "FBX\0", "É", &"A".repeat(65)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Sku::parse(&"A".repeat(64)).is_ok());
    }

    #[test]
    fn prefixes_and_currencies_are_three_uppercase_letters() {
        assert!(SkuPrefix::parse("FBX").is_ok());
        assert!(CurrencyCode::parse("EUR").is_ok());
        for bad in ["", "fbx", "FB", "FBXX", "FB1", "FB\0"] {
            assert!(SkuPrefix::parse(bad).is_err(), "{bad:?}");
            assert!(CurrencyCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phone_number_ids_are_trimmed_digits() {
        assert_eq!(
            PhoneNumberId::parse(" 106540352242922 ").unwrap().as_str(),
            "106540352242922"
        );
        assert!(PhoneNumberId::parse(&"1".repeat(32)).is_ok());
        for bad in [
            "",
            "1234",
            "+34600111222",
            "1065 4035",
            "../me",
            "12345\0",
            &"1".repeat(33),
        ] {
            assert!(PhoneNumberId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn category_and_zone_codes() {
        for good in ["HAIR", "S2", "ABCDEFGH"] {
            assert!(CategoryCode::parse(good).is_ok(), "{good}");
        }
        for bad in ["H", "hair", "ABCDEFGHI", "HA-IR"] {
            assert!(CategoryCode::parse(bad).is_err(), "{bad}");
        }
        for good in ["BER", "HAM-2", "A1"] {
            assert!(ZoneCode::parse(good).is_ok(), "{good}");
        }
        for bad in ["B", "-BER", "ber", &"A".repeat(17), "BE\0"] {
            assert!(ZoneCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn domain_names_are_lowercase_hosts() {
        for good in ["shop.example.com", "localhost", "a-b.c"] {
            assert!(DomainName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "Shop.com", "a..b", "-a.com", "a-.com", "a b", "a\0"] {
            assert!(DomainName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_sku_parameter_is_a_parse_error_with_the_rule() {
        use poem_openapi::types::ParseFromParameter;
        let err = Sku::parse_from_parameter("a b").unwrap_err();
        assert!(err.message().contains("visible ASCII"), "{}", err.message());
    }
}
