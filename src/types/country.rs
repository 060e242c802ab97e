//! ISO 3166-1 alpha-2 country codes, checked against the standard's list, and which countries
//! use no postal codes.

use super::{TypeError, openapi::string_schema, openapi::string_type};

/// Every officially assigned ISO 3166-1 alpha-2 code (249), sorted for binary search.
const ASSIGNED: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Countries whose addresses need no postal code: they have none, or (Ireland's Eircode,
/// Panama, Trinidad and Tobago, Saint Lucia, Hong Kong) few addresses carry one. Everywhere
/// else a checkout address must give one. Erring towards "not required" here only lets an
/// address through; erring the other way would refuse a real customer. Sorted.
const NO_POSTAL_CODE: [&str; 71] = [
    "AE", "AG", "AO", "AQ", "AW", "BF", "BI", "BJ", "BO", "BQ", "BS", "BV", "BW", "BZ", "CD", "CF",
    "CG", "CI", "CK", "CM", "CW", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK",
    "HM", "IE", "JM", "KI", "KM", "KN", "KP", "LC", "LY", "ML", "MO", "MR", "MW", "NR", "NU", "PA",
    "QA", "RW", "SB", "SC", "SL", "SO", "SR", "SS", "ST", "SX", "SY", "TD", "TF", "TG", "TK", "TL",
    "TO", "TT", "TV", "UG", "VU", "YE", "ZW",
];

/// An ISO 3166-1 alpha-2 country code, e.g. `DE`: two uppercase letters that the standard
/// assigns (`XX` or `UK` are refused).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if ASSIGNED.binary_search(&s).is_ok() {
            Ok(Self(s.to_owned()))
        } else {
            Err(TypeError::new(
                "an ISO 3166-1 alpha-2 country code, e.g. DE",
            ))
        }
    }

    /// Whether addresses in this country must give a postal code.
    pub fn uses_postal_codes(&self) -> bool {
        NO_POSTAL_CODE.binary_search(&self.0.as_str()).is_err()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

string_type!(
    [] CountryCode,
    "string(iso3166_1_alpha2)",
    string_schema(Some(2), Some(2), Some("^[A-Z]{2}$"))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_sorted_and_unique() {
        for list in [&ASSIGNED[..], &NO_POSTAL_CODE[..]] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
        for code in &NO_POSTAL_CODE {
            assert!(ASSIGNED.contains(code), "{code} is not assigned");
        }
    }

    #[test]
    fn only_assigned_codes_parse() {
        assert_eq!(CountryCode::parse("DE").unwrap().as_str(), "DE");
        assert!(CountryCode::parse("GB").is_ok());
        for bad in ["UK", "XX", "de", "DEU", "", "D", "D\0"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn postal_codes_are_required_where_countries_use_them() {
        let uses = |c: &str| CountryCode::parse(c).unwrap().uses_postal_codes();
        assert!(uses("DE") && uses("US") && uses("ES") && uses("JP"));
        assert!(!uses("IE") && !uses("HK") && !uses("AE") && !uses("ZW"));
    }
}
