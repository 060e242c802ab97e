//! Postal addresses as a checkout sends them, checked per country.
//!
//! An address is customer personal data: neither type prints its fields in `Debug` (only the
//! country), so an address that reaches a log line or an error's context says no more than
//! where it is.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{CountryCode, PhoneNumber, Text, TypeError};

/// An address as sent, before it is checked: what the idempotency hash covers.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub country: String,
    pub phone: Option<String>,
}

impl fmt::Debug for AddressInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressInput")
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

/// A checked address: trimmed, within its lengths, without control characters, in an
/// assigned country, with a postal code where the country uses them. Stored on the order as
/// JSON with these field names.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub country: String,
    pub phone: Option<String>,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

/// The longest postal code taken (the longest in use has 10 characters, e.g. `12345-6789`).
pub const MAX_POSTAL_CODE: usize = 16;

/// Trimmed text of `MIN..=MAX` characters without control characters (a line break in an
/// address would break a label); `None` when empty and `MIN` is 0.
fn line<const MIN: usize, const MAX: usize>(s: &str) -> Result<Option<String>, TypeError> {
    let text = Text::<MIN, MAX>::parse(s)?;
    if text.as_str().chars().any(char::is_control) {
        return Err(TypeError::new("must not contain control characters"));
    }
    Ok(Some(text.into_string()).filter(|t| !t.is_empty()))
}

/// A required line: `line` with `MIN` at least 1 never answers `None`.
fn required<const MAX: usize>(s: &str) -> Result<String, TypeError> {
    line::<1, MAX>(s).map(Option::unwrap_or_default)
}

/// A postal code: letters, digits, spaces and hyphens, 1 to 16 characters, uppercased.
fn postal_code(s: &str) -> Result<Option<String>, TypeError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > MAX_POSTAL_CODE
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
    {
        return Err(TypeError::new("1 to 16 letters, digits, spaces or hyphens"));
    }
    Ok(Some(s.to_ascii_uppercase()))
}

impl Address {
    /// Checks every field; the errors name the field (`postal_code`, ...) without the
    /// address's own name, which the caller prefixes.
    pub fn parse(a: &AddressInput) -> Result<Self, Vec<(&'static str, TypeError)>> {
        let mut errors = Vec::new();
        let mut take = |field: &'static str, r: Result<Option<String>, TypeError>| match r {
            Ok(v) => v,
            Err(e) => {
                errors.push((field, e));
                None
            }
        };
        let name = take("name", required::<200>(&a.name).map(Some));
        let line1 = take("line1", required::<200>(&a.line1).map(Some));
        let line2 = take("line2", line::<0, 200>(a.line2.as_deref().unwrap_or("")));
        let city = take("city", required::<100>(&a.city).map(Some));
        let region = take("region", line::<0, 100>(a.region.as_deref().unwrap_or("")));
        let country = take(
            "country",
            CountryCode::parse(a.country.trim()).map(|c| Some(c.into_string())),
        );
        let postal = take(
            "postal_code",
            postal_code(a.postal_code.as_deref().unwrap_or("")),
        );
        let phone = take(
            "phone",
            a.phone
                .as_deref()
                .map(|p| PhoneNumber::parse(p.trim()).map(PhoneNumber::into_string))
                .transpose(),
        );
        if let Some(country) = country.as_deref().and_then(|c| CountryCode::parse(c).ok())
            && postal.is_none()
            && country.uses_postal_codes()
            && !errors.iter().any(|(f, _)| *f == "postal_code")
        {
            errors.push((
                "postal_code",
                TypeError::owned(format!("required for addresses in {country}")),
            ));
        }
        match (name, line1, city, country) {
            (Some(name), Some(line1), Some(city), Some(country)) if errors.is_empty() => Ok(Self {
                name,
                line1,
                line2,
                city,
                postal_code: postal,
                region,
                country,
                phone,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            name: " Ana García ".into(),
            line1: "Calle Mayor 1".into(),
            line2: Some("".into()),
            city: "Madrid".into(),
            postal_code: Some(" 28013 ".into()),
            region: None,
            country: "ES".into(),
            phone: Some("+34600111222".into()),
        }
    }

    fn fields(a: &AddressInput) -> Vec<&'static str> {
        Address::parse(a)
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn a_good_address_is_trimmed_and_empty_lines_are_none() {
        let a = Address::parse(&input()).unwrap();
        assert_eq!(a.name, "Ana García");
        assert_eq!(a.postal_code.as_deref(), Some("28013"));
        assert_eq!(a.line2, None);
        assert_eq!(a.country, "ES");
    }

    #[test]
    fn every_bad_field_is_named() {
        let a = AddressInput {
            name: "".into(),
            line1: "x".repeat(201),
            line2: Some("a\nb".into()),
            city: "\0".into(),
            postal_code: Some("28013;".into()),
            region: Some("r".repeat(101)),
            country: "XX".into(),
            phone: Some("600".into()),
        };
        assert_eq!(
            fields(&a),
            [
                "name",
                "line1",
                "line2",
                "city",
                "region",
                "country",
                "postal_code",
                "phone"
            ]
        );
    }

    #[test]
    fn a_postal_code_is_required_only_where_the_country_uses_them() {
        let mut a = input();
        a.postal_code = None;
        assert_eq!(fields(&a), ["postal_code"]);
        a.country = "IE".into();
        assert!(Address::parse(&a).is_ok());
    }

    #[test]
    fn debug_shows_the_country_only() {
        let a = Address::parse(&input()).unwrap();
        let shown = format!("{a:?} {:?}", input());
        assert!(!shown.contains("Ana") && !shown.contains("Mayor") && !shown.contains("+34"));
        assert!(shown.contains("ES"));
    }
}
