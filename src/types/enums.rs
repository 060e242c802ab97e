//! [`text_enum!`]: one Rust enum per status or kind, stored as `text` and sent as a string.

/// Declares an enum whose variants are stored in a `text` column and sent in the API as the
/// same string, so the Rust code, the database and the spec cannot disagree:
///
/// ```ignore
/// text_enum! {
///     /// Where an order stands.
///     pub enum OrderStatus("OrderStatus") {
///         /// Reserved, waiting for payment.
///         PendingPayment = "pending_payment",
///         Paid = "paid",
///     }
/// }
/// ```
///
/// gives the enum with `ALL`, `as_str`, `parse` (a [`TypeError`](crate::types::TypeError)
/// listing the allowed values), `Display`, `FromStr`, serde, `poem_openapi::Enum` (schema
/// named as given) and tokio-postgres `FromSql`/`ToSql` for `text` (a value the enum does not
/// know is an error when a row is read, never a silent default).
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident($schema:tt) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $s:tt
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::poem_openapi::Enum)]
        #[oai(rename = $schema)]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[oai(rename = $s)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The value as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $s,)+
                }
            }

            /// Parses a stored or sent value.
            pub fn parse(s: &str) -> Result<Self, $crate::types::TypeError> {
                match s {
                    $($s => Ok(Self::$variant),)+
                    _ => Err($crate::types::TypeError::owned(format!(
                        "one of {}",
                        [$($s),+].join(", ")
                    ))),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::types::TypeError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(::serde::de::Error::custom)
            }
        }

        impl<'a> ::tokio_postgres::types::FromSql<'a> for $name {
            fn from_sql(
                ty: &::tokio_postgres::types::Type,
                raw: &'a [u8],
            ) -> Result<Self, Box<dyn ::std::error::Error + Sync + Send>> {
                let s = <&str as ::tokio_postgres::types::FromSql>::from_sql(ty, raw)?;
                Self::parse(s).map_err(|_| {
                    format!(concat!("unknown ", stringify!($name), " {:?}"), s).into()
                })
            }

            fn accepts(ty: &::tokio_postgres::types::Type) -> bool {
                <&str as ::tokio_postgres::types::FromSql>::accepts(ty)
            }
        }

        impl ::tokio_postgres::types::ToSql for $name {
            fn to_sql(
                &self,
                ty: &::tokio_postgres::types::Type,
                out: &mut ::bytes::BytesMut,
            ) -> Result<::tokio_postgres::types::IsNull, Box<dyn ::std::error::Error + Sync + Send>>
            {
                <&str as ::tokio_postgres::types::ToSql>::to_sql(&self.as_str(), ty, out)
            }

            fn accepts(ty: &::tokio_postgres::types::Type) -> bool {
                <&str as ::tokio_postgres::types::ToSql>::accepts(ty)
            }

            ::tokio_postgres::types::to_sql_checked!();
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use poem_openapi::types::{ParseFromJSON, ToJSON};
    use tokio_postgres::types::{FromSql, ToSql, Type};

    text_enum! {
        /// A test enum.
        pub enum Light("Light") {
            /// Stop.
            Red = "red",
            AmberBlink = "amber_blink",
        }
    }

    #[test]
    fn names_agree_in_rust_json_and_sql() {
        for &v in Light::ALL {
            assert_eq!(Light::parse(v.as_str()), Ok(v));
            assert_eq!(v.to_json(), Some(serde_json::json!(v.as_str())));
            assert_eq!(
                Light::parse_from_json(Some(v.as_str().into())).ok(),
                Some(v)
            );
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::json!(v.as_str())
            );
            let mut buf = bytes::BytesMut::new();
            v.to_sql(&Type::TEXT, &mut buf).unwrap();
            assert_eq!(Light::from_sql(&Type::TEXT, &buf).unwrap(), v);
        }
        assert_eq!(Light::AmberBlink.to_string(), "amber_blink");
    }

    #[test]
    fn unknown_values_are_errors() {
        assert_eq!(
            Light::parse("green").unwrap_err().message(),
            "one of red, amber_blink"
        );
        assert!(Light::from_sql(&Type::TEXT, b"green").is_err());
        assert!(Light::parse_from_json(Some("green".into())).is_err());
    }
}
