//! How to reach a person: email, phone number, language.

use super::{TypeError, openapi::string_schema, openapi::string_type};

/// An email address in its canonical form: trimmed and lowercased (emails are unique
/// case-insensitively), one `@` with a non-empty local part and a dotted domain, at most 254
/// characters, no whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let email = Self::normalise(s);
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        } && email.len() <= Self::MAX_LEN
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(email))
        } else {
            Err(TypeError::new("an email address"))
        }
    }

    /// The canonical form of any string, valid or not: what a lookup by email compares (a
    /// login with a malformed email must take the same path as an unknown one).
    pub fn normalise(s: &str) -> String {
        s.trim().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

string_type!(
    [] Email,
    "string(email)",
    poem_openapi::registry::MetaSchema {
        format: Some("email"),
        ..string_schema(Some(3), Some(Email::MAX_LEN), None)
    }
);

/// A phone number in E.164: `+`, then 7 to 15 digits, the first not 0, e.g.
/// `+4915123456789`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let digits = s.strip_prefix('+').unwrap_or("");
        if (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new("E.164, e.g. +4915123456789"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

string_type!(
    [] PhoneNumber,
    "string(e164)",
    string_schema(Some(8), Some(16), Some("^\\+[1-9][0-9]{6,14}$"))
);

/// An ISO 639-1 language code: two lowercase ASCII letters, e.g. `es`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(String);

impl LanguageCode {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new("an ISO 639-1 code, e.g. es"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

string_type!(
    [] LanguageCode,
    "string(iso639_1)",
    string_schema(Some(2), Some(2), Some("^[a-z]{2}$"))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        assert_eq!(Email::normalise(" X@Y "), "x@y");
    }

    #[test]
    fn malformed_emails_are_refused() {
        let long = format!("{}@example.com", "a".repeat(243));
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@example",
            "ana@.example.com",
            "ana@example.com.",
            "a b@example.com",
            "a@b@example.com",
            "ana\0@example.com",
            &long,
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err().message(),
                "an email address",
                "{bad:?}"
            );
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(242))).is_ok());
    }

    #[test]
    fn phone_numbers_are_e164() {
        assert!(PhoneNumber::parse("+4915123456789").is_ok());
        assert!(PhoneNumber::parse("+81312345678").is_ok());
        for bad in [
            "4915123456789",
            "+0123456789",
            "+49 151 234",
            "+12",
            "+1234567890123456",
            "+4915\0",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn language_codes_are_two_lowercase_letters() {
        assert!(LanguageCode::parse("es").is_ok());
        for bad in ["", "e", "ES", "esp", "e\0"] {
            assert!(LanguageCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
