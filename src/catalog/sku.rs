//! SKUs: `{brand prefix}-{category code}-{product number, 4+ digits}-{value codes...}`, e.g.
//! `FBX-HAIR-0042-BLK-250ML`. Warehouse staff read them off printed labels, so they are short,
//! uppercase ASCII, and never change once issued (the database refuses an UPDATE of a SKU).
//!
//! A product's *stem* (`FBX-HAIR-0042`) is fixed when the product is created; renaming or
//! recategorising the product later changes no SKU, and new variants keep the old stem.

use deunicode::deunicode;
use sha2::{Digest, Sha256};

/// The longest code an option value may carry.
pub const MAX_CODE_LEN: usize = 8;

/// The fixed first part of every SKU of a product.
pub fn stem(brand_prefix: &str, category_code: &str, product_number: i32) -> String {
    format!("{brand_prefix}-{category_code}-{product_number:04}")
}

/// A full SKU from a stem and one code per option axis.
pub fn sku(stem: &str, codes: &[String]) -> String {
    let mut out = stem.to_owned();
    for code in codes {
        out.push('-');
        out.push_str(code);
    }
    out
}

/// An explicit value code must be 1 to 8 uppercase ASCII letters or digits.
pub fn is_valid_code(code: &str) -> bool {
    (1..=MAX_CODE_LEN).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The words of a value in uppercase ASCII letters and digits (unicode transliterated:
/// `Crème brûlée` -> `CREME`, `BRULEE`; `桜 Sakura` -> `YING`, `SAKURA`).
fn ascii_words(value: &str) -> Vec<String> {
    deunicode(value)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'A' | 'E' | 'I' | 'O' | 'U' | 'Y')
}

/// The short code of a value, before collisions are considered:
/// - up to 5 letters and digits in all: used as they are (`Red` -> `RED`, `250 ml` -> `250ML`);
/// - one long word: its first letter and following consonants, 4 at most
///   (`Blackberry` -> `BLCK`);
/// - several words: the initials, padded with consonants of the last word to at least 3
///   (`Crème brûlée` -> `CBRL`).
///
/// Values with no letters or digits at all (emoji) get `V` and 4 hex digits of their hash.
pub fn derive_code(value: &str) -> String {
    let words = ascii_words(value);
    let joined: String = words.concat();
    if joined.is_empty() {
        let digest = Sha256::digest(value.trim().as_bytes());
        return format!("V{}", &hex::encode(digest)[..4].to_ascii_uppercase());
    }
    if joined.len() <= 5 {
        return joined;
    }
    let squeeze = |w: &str, first: bool| -> String {
        let mut out = String::new();
        let mut last = None;
        for (i, c) in w.chars().enumerate() {
            let keep = (first && i == 0)
                || (!is_vowel(c) && c.is_ascii_alphabetic())
                || c.is_ascii_digit();
            if keep && last != Some(c) {
                out.push(c);
                last = Some(c);
            }
        }
        out
    };
    if words.len() == 1 {
        let code: String = squeeze(&words[0], true).chars().take(4).collect();
        return if code.len() >= 3 {
            code
        } else {
            words[0].chars().take(4).collect()
        };
    }
    let mut code: String = words
        .iter()
        .take(4)
        .filter_map(|w| w.chars().next())
        .collect();
    if code.len() < 3
        && let Some(last) = words.last()
    {
        let tail = squeeze(&last[1..], false);
        code.extend(tail.chars().take(4 - code.len()));
    }
    code
}

/// The code of every value on one axis: the explicit ones as given, the others derived and
/// made unique on the axis, deterministically (the same values always give the same codes):
/// a colliding derived code grows to the value's longer form (up to 8 characters), then gets
/// a digit suffix in value order.
pub fn axis_codes(values: &[(String, Option<String>)]) -> Vec<String> {
    let mut codes: Vec<String> = values
        .iter()
        .map(|(v, explicit)| explicit.clone().unwrap_or_else(|| derive_code(v)))
        .collect();
    let explicit: Vec<bool> = values.iter().map(|(_, e)| e.is_some()).collect();

    // Round 1: colliding derived codes take their longer form.
    let collides = |codes: &[String], i: usize| {
        codes
            .iter()
            .enumerate()
            .any(|(j, c)| j != i && *c == codes[i])
    };
    let long: Vec<String> = values
        .iter()
        .map(|(v, _)| {
            let joined: String = ascii_words(v).concat();
            if joined.is_empty() {
                derive_code(v)
            } else {
                joined.chars().take(MAX_CODE_LEN).collect()
            }
        })
        .collect();
    let round1: Vec<String> = (0..codes.len())
        .map(|i| {
            if !explicit[i] && collides(&codes, i) {
                long[i].clone()
            } else {
                codes[i].clone()
            }
        })
        .collect();
    codes = round1;

    // Round 2: still colliding derived codes get 2, 3, ... in value order (the first keeps
    // its code unless an explicit code holds it).
    for i in 0..codes.len() {
        if explicit[i] {
            continue;
        }
        let taken_before = |c: &str, codes: &[String]| {
            codes
                .iter()
                .enumerate()
                .any(|(j, other)| other == c && (j < i || explicit[j]))
        };
        if !taken_before(&codes[i], &codes) {
            continue;
        }
        let base: String = codes[i].chars().take(MAX_CODE_LEN - 1).collect();
        let mut n = 2;
        loop {
            let candidate = format!("{base}{n}");
            let candidate = if candidate.len() > MAX_CODE_LEN {
                format!("{}{n}", &base[..MAX_CODE_LEN - n.to_string().len()])
            } else {
                candidate
            };
            if !codes.contains(&candidate) {
                codes[i] = candidate;
                break;
            }
            n += 1;
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(values: &[&str]) -> Vec<String> {
        axis_codes(
            &values
                .iter()
                .map(|v| ((*v).to_owned(), None))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn stems_and_skus() {
        let stem = stem("FBX", "HAIR", 42);
        assert_eq!(stem, "FBX-HAIR-0042");
        assert_eq!(
            sku(&stem, &["BLK".into(), "250ML".into()]),
            "FBX-HAIR-0042-BLK-250ML"
        );
        assert_eq!(sku(&stem, &[]), "FBX-HAIR-0042");
        assert_eq!(super::stem("SZM", "SKIN", 12345), "SZM-SKIN-12345");
    }

    #[test]
    fn derived_codes_are_short_uppercase_ascii() {
        assert_eq!(derive_code("Red"), "RED");
        assert_eq!(derive_code("250 ml"), "250ML");
        assert_eq!(derive_code("1 l"), "1L");
        assert_eq!(derive_code("Blackberry"), "BLCK");
        assert_eq!(derive_code("Crème brûlée"), "CBRL");
        assert_eq!(derive_code("Rosé"), "ROSE");
        assert_eq!(derive_code("Ünïcörn Glitter"), "UGLT");
        for v in ["桜 Sakura", "Matcha 抹茶", "🌸", "Extra strong hold"] {
            let c = derive_code(v);
            assert!(is_valid_code(&c), "{v} -> {c}");
        }
        // Deterministic.
        assert_eq!(derive_code("桜 Sakura"), derive_code("桜 Sakura"));
    }

    #[test]
    fn black_blue_and_blackberry_get_distinct_codes() {
        let codes = derived(&["Black", "Blue", "Blackberry"]);
        assert_eq!(codes, ["BLACK", "BLUE", "BLCK"]);
        let codes = derived(&["Blackberry", "Blackcurrant", "Black"]);
        assert_eq!(codes.len(), 3);
        assert!(codes.iter().all(|c| is_valid_code(c)), "{codes:?}");
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 3, "{codes:?}");
    }

    #[test]
    fn collisions_are_resolved_deterministically() {
        // Same derived code, same long form: digit suffixes in value order.
        let codes = derived(&["Red!", "red", "RED"]);
        assert_eq!(codes, ["RED", "RED2", "RED3"]);
        // Long forms differ: they are used.
        let codes = derived(&["Sandalwood Musk", "Sandalwood Mint"]);
        assert_ne!(codes[0], codes[1]);
        assert!(codes.iter().all(|c| is_valid_code(c)), "{codes:?}");
        // Explicit codes win; derived ones step around them.
        let codes = axis_codes(&[
            ("Black".into(), Some("BLACK".into())),
            ("Black!".into(), None),
        ]);
        assert_eq!(codes, ["BLACK", "BLACK2"]);
        // Unicode values that transliterate alike.
        let codes = derived(&["Rosé", "Rose"]);
        assert_eq!(codes, ["ROSE", "ROSE2"]);
    }

    #[test]
    fn explicit_codes_are_checked() {
        assert!(is_valid_code("BLK"));
        assert!(is_valid_code("250ML"));
        for bad in ["", "blk", "B-K", "TOOLONGXX", "É"] {
            assert!(!is_valid_code(bad), "{bad}");
        }
    }
}
