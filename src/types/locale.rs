//! BCP 47 locale tags ([`Locale`]) and the negotiation of a request's locale among a brand's
//! ([`negotiate`]): an explicit `?locale=` first, then `Accept-Language` by q-value, then the
//! brand's default.
//!
//! Only the tags a shop sells in are modelled: a language (2 or 3 letters), an optional script
//! (4 letters) and an optional region (2 letters or 3 digits), in canonical case (`pt-BR`,
//! `zh-Hant-TW`). Variants, extensions and private use are refused: no brand sells in them,
//! and `Accept-Language` entries carrying them still match by their language.

use super::{
    TypeError,
    openapi::{string_schema, string_type},
};

/// A BCP 47 language tag in canonical case: `en`, `es-MX`, `zh-Hant`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locale(String);

impl Locale {
    /// Parses a tag in any case (`PT-br` → `pt-BR`); `_` is accepted for `-`.
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        const MESSAGE: &str = "a BCP 47 language tag, e.g. en, es or pt-BR";
        if s.is_empty() || s.len() > 15 || !s.is_ascii() {
            return Err(TypeError::new(MESSAGE));
        }
        let mut parts = s.split(['-', '_']);
        let language = parts.next().unwrap_or_default();
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(TypeError::new(MESSAGE));
        }
        let mut out = language.to_ascii_lowercase();
        let mut seen_script = false;
        let mut seen_region = false;
        for part in parts {
            let alpha = part.bytes().all(|b| b.is_ascii_alphabetic());
            let digits = part.bytes().all(|b| b.is_ascii_digit());
            if part.len() == 4 && alpha && !seen_script && !seen_region {
                seen_script = true;
                out.push('-');
                out.push_str(&part[..1].to_ascii_uppercase());
                out.push_str(&part[1..].to_ascii_lowercase());
            } else if ((part.len() == 2 && alpha) || (part.len() == 3 && digits)) && !seen_region {
                seen_region = true;
                out.push('-');
                out.push_str(&part.to_ascii_uppercase());
            } else {
                return Err(TypeError::new(MESSAGE));
            }
        }
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The language subtag: `es` of `es-MX`.
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

string_type!(
    [] Locale,
    "string(bcp47)",
    string_schema(Some(2), Some(15), Some("^[A-Za-z]{2,3}([-_][A-Za-z]{4})?([-_]([A-Za-z]{2}|[0-9]{3}))?$"))
);

/// One `Accept-Language` entry: a language range and its weight (0 to 1000, from the q-value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageRange {
    /// Lowercased range: `es-mx`, `es`, or `*`.
    pub range: String,
    /// q-value times 1,000 (RFC 9110 allows at most three decimals).
    pub weight: u16,
}

/// Parses an `Accept-Language` value (RFC 9110 §12.5.4), best first (stable among equals, so
/// the client's order breaks ties). Malformed entries are skipped, never an error: a header is
/// a preference, not a command. At most 32 entries are read.
pub fn parse_accept_language(header: &str) -> Vec<LanguageRange> {
    let mut ranges: Vec<LanguageRange> = header
        .split(',')
        .take(32)
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let range = parts.next()?.trim();
            let valid = range == "*"
                || (!range.is_empty()
                    && range.len() <= 35
                    && range.split('-').all(|p| {
                        (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
                    }));
            if !valid {
                return None;
            }
            let mut weight = 1000;
            for param in parts {
                let (key, value) = param.split_once('=')?;
                if key.trim().eq_ignore_ascii_case("q") {
                    weight = parse_qvalue(value.trim())?;
                }
            }
            Some(LanguageRange {
                range: range.to_ascii_lowercase(),
                weight,
            })
        })
        .collect();
    ranges.sort_by_key(|r| std::cmp::Reverse(r.weight));
    ranges
}

/// A q-value (`1`, `1.000`, `0.8`, `0`) times 1,000; `None` if malformed.
fn parse_qvalue(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// The locale to answer in, among `available` (the brand's locales; `default` is one of them):
/// 1. `explicit` (`?locale=`), if the brand has it or a locale of the same language (`es-MX`
///    → `es`);
/// 2. otherwise each `Accept-Language` range by weight: an exact match, then the range's
///    language (`es-MX` → `es`), then a regional locale of that language (`es` → `es-MX`);
///    `*` takes the default; q=0 excludes a locale;
/// 3. otherwise the default.
pub fn negotiate<'a>(
    available: &'a [Locale],
    default: &'a Locale,
    explicit: Option<&Locale>,
    accept_language: Option<&str>,
) -> &'a Locale {
    if let Some(wanted) = explicit
        && let Some(found) = lookup(available, &wanted.as_str().to_ascii_lowercase())
    {
        return found;
    }
    let Some(header) = accept_language else {
        return default;
    };
    let ranges = parse_accept_language(header);
    let excluded = |l: &Locale| {
        ranges
            .iter()
            .any(|r| r.weight == 0 && r.range == l.as_str().to_ascii_lowercase())
    };
    for r in ranges.iter().filter(|r| r.weight > 0) {
        if r.range == "*" {
            if !excluded(default) {
                return default;
            }
            if let Some(other) = available.iter().find(|l| !excluded(l)) {
                return other;
            }
            continue;
        }
        if let Some(found) = lookup(available, &r.range).filter(|l| !excluded(l)) {
            return found;
        }
    }
    default
}

/// The brand's locale for a lowercased range: exact, then its language, then a regional locale
/// of its language.
fn lookup<'a>(available: &'a [Locale], range: &str) -> Option<&'a Locale> {
    let lower = |l: &Locale| l.as_str().to_ascii_lowercase();
    if let Some(exact) = available.iter().find(|l| lower(l) == range) {
        return Some(exact);
    }
    let language = range.split('-').next().unwrap_or(range);
    available
        .iter()
        .find(|l| l.as_str() == language)
        .or_else(|| available.iter().find(|l| l.language() == language))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locales(tags: &[&str]) -> Vec<Locale> {
        tags.iter().map(|t| Locale::parse(t).unwrap()).collect()
    }

    #[test]
    fn tags_are_canonicalised() {
        for (input, canonical) in [
            ("en", "en"),
            ("ES", "es"),
            ("pt-br", "pt-BR"),
            ("pt_BR", "pt-BR"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
            ("ja", "ja"),
        ] {
            assert_eq!(Locale::parse(input).unwrap().as_str(), canonical);
        }
        assert_eq!(Locale::parse("es-MX").unwrap().language(), "es");
    }

    #[test]
    fn malformed_tags_are_refused() {
        for bad in [
            "",
            "e",
            "engl",
            "en-",
            "en-US-US",
            "en-1234",
            "x-private",
            "en\0",
            "es-MX-Latn",
            "ñ",
            "en-USA",
            "de-DE-1996",
            "aaaaaaaaaaaaaaaa",
        ] {
            assert!(Locale::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn accept_language_is_ordered_by_q_value_then_by_position() {
        let ranges = parse_accept_language("fr;q=0.5, es-MX, en;q=0.8, *;q=0.1, de;q=0.8");
        let order: Vec<(&str, u16)> = ranges
            .iter()
            .map(|r| (r.range.as_str(), r.weight))
            .collect();
        assert_eq!(
            order,
            [
                ("es-mx", 1000),
                ("en", 800),
                ("de", 800),
                ("fr", 500),
                ("*", 100)
            ]
        );
    }

    #[test]
    fn malformed_accept_language_entries_are_skipped() {
        let ranges = parse_accept_language("es;q=2, en;q=abc, ;q=0.5, fr;q=0.1234, de ;q=0.3, ja");
        let order: Vec<&str> = ranges.iter().map(|r| r.range.as_str()).collect();
        assert_eq!(order, ["ja", "de"]);
        assert!(parse_accept_language("").is_empty());
        assert!(parse_accept_language(&"x,".repeat(10_000)).len() <= 32);
    }

    #[test]
    fn negotiation_picks_the_best_locale_the_brand_has() {
        let brand = locales(&["en", "es", "ja", "pt-BR"]);
        let en = &brand[0];
        let pick = |explicit: Option<&str>, header: Option<&str>| {
            let explicit = explicit.map(|e| Locale::parse(e).unwrap());
            negotiate(&brand, en, explicit.as_ref(), header)
                .as_str()
                .to_owned()
        };
        // Regional ranges fall back to the language; languages find a regional locale.
        assert_eq!(pick(None, Some("es-MX,es;q=0.9,en;q=0.8")), "es");
        assert_eq!(pick(None, Some("pt")), "pt-BR");
        assert_eq!(pick(None, Some("pt-PT")), "pt-BR");
        // By q-value, not by position.
        assert_eq!(pick(None, Some("en;q=0.3, ja;q=0.9")), "ja");
        // Unsupported languages are passed over; nothing usable: the default.
        assert_eq!(pick(None, Some("fr, de;q=0.9, ja;q=0.1")), "ja");
        assert_eq!(pick(None, Some("fr, de")), "en");
        assert_eq!(pick(None, None), "en");
        // `*` means the default, unless the default is excluded with q=0.
        assert_eq!(pick(None, Some("fr, *;q=0.5")), "en");
        assert_eq!(pick(None, Some("en;q=0, *")), "es");
        // An explicit locale wins over the header; one the brand lacks is ignored.
        assert_eq!(pick(Some("ja"), Some("es")), "ja");
        assert_eq!(pick(Some("es-AR"), None), "es");
        assert_eq!(pick(Some("fr"), Some("es")), "es");
    }
}
