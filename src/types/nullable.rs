//! [`Nullable<T>`]: a response field that is always present and may be `null`.

use std::{borrow::Cow, ops::Deref};

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef, Registry},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde::{Deserialize, Serialize};

/// A field that every response carries, with `null` for "none": `required` and `nullable` in
/// the spec, so a generated TypeScript client types it `T | null`.
///
/// The house rule for response bodies (README, "API", Responses): a field is never left out, and
/// one that can be absent is a `Nullable<T>`. A plain `Option<T>` field would be emitted by
/// poem-openapi as optional and *not* nullable, yet serialised as `null`: the spec and the
/// service would disagree. `tests/api/openapi.rs` holds every response schema to the rule and
/// validates real responses against the committed spec.
///
/// On input (a type shared with a request body) a missing field reads as `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nullable<T>(pub Option<T>);

impl<T> Nullable<T> {
    /// The `null` value.
    pub const NULL: Self = Self(None);

    /// The value, if any.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }

    /// Whether it is `null` (for serde's `skip_serializing_if` where a stored document keeps
    /// leaving the field out).
    pub fn is_null(&self) -> bool {
        self.0.is_none()
    }
}

/// `null`, whatever `T` is.
impl<T> Default for Nullable<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T> Deref for Nullable<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        Self(value)
    }
}

impl<T> From<Nullable<T>> for Option<T> {
    fn from(value: Nullable<T>) -> Self {
        value.0
    }
}

impl<T: Type> Type for Nullable<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("nullable_{}", T::name()).into()
    }

    /// `T`'s schema with `nullable: true`; a named schema (`$ref`) is wrapped in `allOf`, since
    /// OpenAPI 3.0 ignores keywords beside a `$ref`.
    fn schema_ref() -> MetaSchemaRef {
        match T::schema_ref() {
            MetaSchemaRef::Inline(schema) => MetaSchemaRef::Inline(Box::new(MetaSchema {
                nullable: true,
                ..*schema
            })),
            reference @ MetaSchemaRef::Reference(_) => {
                MetaSchemaRef::Inline(Box::new(MetaSchema {
                    all_of: vec![reference],
                    nullable: true,
                    ..MetaSchema::ANY
                }))
            }
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Nullable<T> {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            serde_json::Value::Null => Ok(Self(None)),
            value => T::parse_from_json(Some(value))
                .map(|v| Self(Some(v)))
                .map_err(ParseError::propagate),
        }
    }
}

impl<T: ToJSON> ToJSON for Nullable<T> {
    /// Always a value: `null` for none, so the field is never left out.
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(
            self.0
                .as_ref()
                .and_then(ToJSON::to_json)
                .unwrap_or(serde_json::Value::Null),
        )
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::Object;

    use super::*;

    #[derive(Debug, Object)]
    struct Inner {
        n: i64,
    }

    #[derive(Debug, Object)]
    struct Outer {
        count: Nullable<i64>,
        inner: Nullable<Inner>,
    }

    #[test]
    fn none_is_serialised_as_null_and_never_left_out() {
        let json = Outer {
            count: Nullable::NULL,
            inner: Nullable(None),
        }
        .to_json()
        .unwrap();
        assert_eq!(json, serde_json::json!({"count": null, "inner": null}));
        let json = Outer {
            count: Some(3).into(),
            inner: Some(Inner { n: 1 }).into(),
        }
        .to_json()
        .unwrap();
        assert_eq!(json, serde_json::json!({"count": 3, "inner": {"n": 1}}));
    }

    #[test]
    fn the_schema_is_required_and_nullable_also_for_a_named_object() {
        let mut registry = Registry::new();
        Outer::register(&mut registry);
        let schema = registry.schemas.get("Outer").unwrap();
        assert_eq!(schema.required, vec!["count", "inner"]);
        let field = |name: &str| match &schema.properties.iter().find(|(n, _)| *n == name) {
            Some((_, MetaSchemaRef::Inline(s))) => s.clone(),
            other => panic!("{name}: {other:?}"),
        };
        assert!(field("count").nullable);
        assert_eq!(field("count").ty, "integer");
        let inner = field("inner");
        assert!(inner.nullable);
        assert!(matches!(&inner.all_of[..], [MetaSchemaRef::Reference(n)] if n == "Inner"));
    }

    #[test]
    fn a_missing_field_reads_as_null() {
        assert_eq!(
            Nullable::<i64>::parse_from_json(None).unwrap(),
            Nullable::NULL
        );
        assert_eq!(
            Nullable::<i64>::parse_from_json(Some(serde_json::json!(2))).unwrap(),
            Nullable(Some(2))
        );
        assert!(Nullable::<i64>::parse_from_json(Some(serde_json::json!("x"))).is_err());
        let serde: Nullable<i64> = serde_json::from_str("null").unwrap();
        assert_eq!(serde, Nullable::NULL);
        assert_eq!(serde_json::to_string(&Nullable(Some(5))).unwrap(), "5");
    }
}
