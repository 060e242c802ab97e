//! Free text of bounded length, and slugs.

use super::{TypeError, openapi::string_schema, openapi::string_type, refuse_nul};

/// Text trimmed of surrounding whitespace, `MIN` to `MAX` characters (Unicode scalar values,
/// as PostgreSQL's `length` counts them), without NUL characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text<const MIN: usize, const MAX: usize>(String);

/// A person's, brand's, category's, product's or zone's name: 1 to 200 characters, trimmed.
pub type DisplayName = Text<1, 200>;

/// A product description: at most 10,000 characters, trimmed.
pub type Description = Text<0, 10_000>;

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    /// Trims `s` and checks its length.
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let s = s.trim();
        refuse_nul(s)?;
        if !(MIN..=MAX).contains(&s.chars().count()) {
            return Err(TypeError::owned(Self::rule()));
        }
        Ok(Self(s.to_owned()))
    }

    /// The rule, as a client reads it.
    fn rule() -> String {
        if MIN == 0 {
            format!("at most {MAX} characters")
        } else {
            format!("{MIN} to {MAX} characters")
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
    [const MIN: usize, const MAX: usize] Text<MIN, MAX>,
    format!("string({MIN}..={MAX})"),
    string_schema(Some(MIN), Some(MAX), None)
);

/// Lowercase ASCII letters and digits in hyphen-separated words, e.g. `silk-repair`.
fn is_kebab(s: &str, max_len: usize) -> bool {
    !s.is_empty()
        && s.len() <= max_len
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

const KEBAB_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

/// A brand's slug (its `X-Tenant-ID`): lowercase words joined by hyphens, at most 63
/// characters (a DNS label).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 63;

    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if is_kebab(s, Self::MAX_LEN) {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new(
                "lowercase letters and digits in hyphen-separated words, at most 63 characters",
            ))
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
    [] Slug,
    "string(slug)",
    string_schema(Some(1), Some(Slug::MAX_LEN), Some(KEBAB_PATTERN))
);

/// A product's handle (its storefront URL name): lowercase words joined by hyphens, at most
/// 120 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle(String);

impl Handle {
    pub const MAX_LEN: usize = 120;

    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if is_kebab(s, Self::MAX_LEN) {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new(
                "lowercase letters and digits in hyphen-separated words, at most 120 characters",
            ))
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
    [] Handle,
    "string(handle)",
    string_schema(Some(1), Some(Handle::MAX_LEN), Some(KEBAB_PATTERN))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_counted_in_characters() {
        assert_eq!(DisplayName::parse("  Silk  ").unwrap().as_str(), "Silk");
        assert!(DisplayName::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            DisplayName::parse(&"é".repeat(201)).unwrap_err().message(),
            "1 to 200 characters"
        );
        assert_eq!(
            DisplayName::parse("   ").unwrap_err().message(),
            "1 to 200 characters"
        );
    }

    #[test]
    fn text_refuses_nul_characters() {
        assert_eq!(
            DisplayName::parse("a\0b").unwrap_err().message(),
            "must not contain NUL characters"
        );
        assert!(Description::parse("x\u{0}").is_err());
    }

    #[test]
    fn descriptions_may_be_empty() {
        assert_eq!(Description::parse(" ").unwrap().as_str(), "");
        assert_eq!(
            Description::parse(&"x".repeat(10_001))
                .unwrap_err()
                .message(),
            "at most 10000 characters"
        );
    }

    #[test]
    fn slugs_and_handles_are_lowercase_words() {
        for good in ["fiber-x", "a", "suzume2"] {
            assert_eq!(Slug::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "Bad Slug",
            "a--b",
            "-a",
            "a-",
            "ä",
            "a\0",
            &"a".repeat(64),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Handle::parse(&"a".repeat(120)).is_ok());
        assert!(Handle::parse(&"a".repeat(121)).is_err());
        assert!(Handle::parse("Silk").is_err());
    }

    #[test]
    fn text_parses_from_json_with_its_message() {
        use poem_openapi::types::ParseFromJSON;
        let err = DisplayName::parse_from_json(Some(serde_json::json!(""))).unwrap_err();
        assert!(
            err.message().contains("1 to 200 characters"),
            "{}",
            err.message()
        );
        assert!(DisplayName::parse_from_json(Some(serde_json::json!(5))).is_err());
        let name = DisplayName::parse_from_json(Some(serde_json::json!(" X "))).unwrap();
        assert_eq!(name.to_string(), "X");
    }
}
