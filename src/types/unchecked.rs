//! [`Unchecked<T>`]: a request field shown in the spec as `T` and parsed by the service.

use std::{borrow::Cow, fmt, marker::PhantomData, ops::Deref, str::FromStr};

use poem_openapi::{
    registry::{MetaSchemaRef, Registry},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};

use super::TypeError;

/// A request body field that must be a `T` but is kept as sent until the service parses it.
///
/// poem-openapi stops at the first field it cannot parse and answers 400 without naming it;
/// the API promises one 422 that names every invalid field of a request (`errors[].field`).
/// So a field whose errors are collected with others is declared `Unchecked<Slug>`: the spec
/// shows `Slug`'s schema (pattern, lengths, enum values), the JSON parser only asks for a
/// string, and the service calls [`Unchecked::parse`] while collecting its field errors.
pub struct Unchecked<T> {
    raw: String,
    _type: PhantomData<fn() -> T>,
}

impl<T> Unchecked<T> {
    /// A value as a client would send it (for callers outside HTTP, and tests).
    pub fn new(raw: impl Into<String>) -> Self {
        Self {
            raw: raw.into(),
            _type: PhantomData,
        }
    }

    /// The value as sent.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The value as sent, owned.
    pub fn into_string(self) -> String {
        self.raw
    }
}

impl<T: FromStr<Err = TypeError>> Unchecked<T> {
    /// Parses the value into `T`.
    pub fn parse(&self) -> Result<T, TypeError> {
        self.raw.parse()
    }
}

impl<T> Deref for Unchecked<T> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.raw
    }
}

impl<T> Clone for Unchecked<T> {
    fn clone(&self) -> Self {
        Self::new(self.raw.clone())
    }
}

impl<T> fmt::Debug for Unchecked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}

/// The empty string (a field with `#[oai(default)]`).
impl<T> Default for Unchecked<T> {
    fn default() -> Self {
        Self::new(String::new())
    }
}

impl<T> From<String> for Unchecked<T> {
    fn from(raw: String) -> Self {
        Self::new(raw)
    }
}

impl<T: Type> Type for Unchecked<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.raw)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.raw))
    }
}

impl<T: Type> ParseFromJSON for Unchecked<T> {
    /// Any string (and, as for a `String` field, a number or boolean in its text form).
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            serde_json::Value::String(s) => Ok(Self::new(s)),
            serde_json::Value::Number(n) => Ok(Self::new(n.to_string())),
            serde_json::Value::Bool(b) => Ok(Self::new(b.to_string())),
            other => Err(ParseError::custom(format!(
                "expected a string, found `{other}`"
            ))),
        }
    }
}

impl<T: Type> ToJSON for Unchecked<T> {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.raw.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Slug;

    #[test]
    fn any_string_parses_and_the_service_checks_it() {
        let bad = Unchecked::<Slug>::parse_from_json(Some(serde_json::json!("Bad Slug"))).unwrap();
        assert_eq!(&*bad, "Bad Slug");
        assert!(bad.parse().is_err());
        let good = Unchecked::<Slug>::new("fiber-x");
        assert_eq!(good.parse().unwrap().as_str(), "fiber-x");
        assert!(Unchecked::<Slug>::parse_from_json(Some(serde_json::json!([1]))).is_err());
    }

    #[test]
    fn the_spec_shows_the_checked_type() {
        let MetaSchemaRef::Inline(schema) = Unchecked::<Slug>::schema_ref() else {
            panic!("inline schema expected");
        };
        assert_eq!(schema.max_length, Some(63));
        assert!(schema.pattern.is_some());
    }
}
