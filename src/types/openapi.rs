//! The impls every string newtype shares: `Display`, `FromStr`, serde, and the poem-openapi
//! traits that make it a request/response field or parameter with its rules in the spec.

/// Implements the shared traits for a string newtype with `parse(&str) -> Result<Self,
/// TypeError>` and `as_str(&self) -> &str`. `$name` is the type's name in poem-openapi's error
/// messages; `$schema` builds its inline schema.
macro_rules! string_type {
    ([$($generics:tt)*] $ty:ty, $name:expr, $schema:expr) => {
        impl<$($generics)*> ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<$($generics)*> ::std::convert::AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl<$($generics)*> ::std::str::FromStr for $ty {
            type Err = $crate::types::TypeError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl<$($generics)*> ::std::convert::TryFrom<&str> for $ty {
            type Error = $crate::types::TypeError;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl<$($generics)*> ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de, $($generics)*> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(::serde::de::Error::custom)
            }
        }

        impl<$($generics)*> ::poem_openapi::types::Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> ::std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> ::poem_openapi::registry::MetaSchemaRef {
                ::poem_openapi::registry::MetaSchemaRef::Inline(Box::new($schema))
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(
                &'a self,
            ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }
        }

        impl<$($generics)*> ::poem_openapi::types::ParseFromJSON for $ty {
            fn parse_from_json(
                value: Option<::serde_json::Value>,
            ) -> ::poem_openapi::types::ParseResult<Self> {
                match value.unwrap_or_default() {
                    ::serde_json::Value::String(s) => Self::parse(&s)
                        .map_err(|e| ::poem_openapi::types::ParseError::custom(e.into_message())),
                    other => Err(::poem_openapi::types::ParseError::expected_type(other)),
                }
            }
        }

        impl<$($generics)*> ::poem_openapi::types::ParseFromParameter for $ty {
            fn parse_from_parameter(value: &str) -> ::poem_openapi::types::ParseResult<Self> {
                Self::parse(value)
                    .map_err(|e| ::poem_openapi::types::ParseError::custom(e.into_message()))
            }
        }

        impl<$($generics)*> ::poem_openapi::types::ToJSON for $ty {
            fn to_json(&self) -> Option<::serde_json::Value> {
                Some(::serde_json::Value::String(self.as_str().to_owned()))
            }
        }
    };
}

pub(crate) use string_type;

/// An inline string schema with the given bounds and pattern.
pub(crate) fn string_schema(
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<&str>,
) -> poem_openapi::registry::MetaSchema {
    poem_openapi::registry::MetaSchema {
        min_length,
        max_length,
        pattern: pattern.map(str::to_owned),
        ..poem_openapi::registry::MetaSchema::new("string")
    }
}
