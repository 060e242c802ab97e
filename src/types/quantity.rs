//! Positive unit counts.

use std::{borrow::Cow, fmt};

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};

use super::TypeError;

/// A number of units, 1 to `MAX`. The default bound is the warehouse's (one receipt, adjustment
/// or transfer moves at most a million units); a checkout line is `Quantity<1000>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity<const MAX: i32 = 1_000_000>(i32);

impl<const MAX: i32> Quantity<MAX> {
    pub fn parse(n: i64) -> Result<Self, TypeError> {
        match i32::try_from(n) {
            Ok(n) if (1..=MAX).contains(&n) => Ok(Self(n)),
            _ => Err(TypeError::owned(format!("1 to {MAX}"))),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

impl<const MAX: i32> fmt::Display for Quantity<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<const MAX: i32> TryFrom<i32> for Quantity<MAX> {
    type Error = TypeError;

    fn try_from(n: i32) -> Result<Self, TypeError> {
        Self::parse(i64::from(n))
    }
}

impl<const MAX: i32> serde::Serialize for Quantity<MAX> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.0)
    }
}

impl<const MAX: i32> Type for Quantity<MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        format!("integer(1..={MAX})").into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            format: Some("int32"),
            minimum: Some(1.0),
            maximum: Some(f64::from(MAX)),
            ..MetaSchema::new("integer")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<const MAX: i32> ParseFromJSON for Quantity<MAX> {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        match value.as_i64() {
            Some(n) => Self::parse(n).map_err(|e| ParseError::custom(e.into_message())),
            None => Err(ParseError::expected_type(value)),
        }
    }
}

impl<const MAX: i32> ToJSON for Quantity<MAX> {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(self.0.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_positive_and_bounded() {
        assert_eq!(Quantity::<1000>::parse(1).unwrap().get(), 1);
        assert_eq!(Quantity::<1000>::parse(1000).unwrap().get(), 1000);
        assert_eq!(
            Quantity::<1000>::parse(1001).unwrap_err().message(),
            "1 to 1000"
        );
        assert!(Quantity::<1000>::parse(0).is_err());
        assert!(Quantity::<1000>::parse(-3).is_err());
        assert!(<Quantity>::parse(1_000_000).is_ok());
        assert_eq!(
            <Quantity>::parse(1_000_001).unwrap_err().message(),
            "1 to 1000000"
        );
        assert!(<Quantity>::parse(i64::from(i32::MAX) + 1).is_err());
    }

    #[test]
    fn quantities_parse_from_json_integers_only() {
        assert!(<Quantity>::parse_from_json(Some(serde_json::json!(3))).is_ok());
        assert!(<Quantity>::parse_from_json(Some(serde_json::json!("3"))).is_err());
        assert!(<Quantity>::parse_from_json(Some(serde_json::json!(0))).is_err());
    }
}
