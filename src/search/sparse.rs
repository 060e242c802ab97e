//! BM25-style sparse vectors, computed in process, for Qdrant's sparse vectors with the `idf`
//! modifier: Qdrant knows the whole collection and computes each term's IDF at query time; we
//! supply the per-document term weights (BM25's saturated term frequency) and, for queries,
//! weight 1 per distinct term. Sparse vectors catch what embeddings blur: exact product
//! names, SKUs, sizes (`250ml`), brand words.
//!
//! # Tokens
//! 1. Split on Unicode word boundaries (UAX #29), drop pieces with no letter or digit
//!    (punctuation, spaces, emoji), lowercase.
//! 2. Latin-script words are folded to ASCII (`champú` → `champu`, `straße` → `strasse`)
//!    *before* stemming. Customers type on phones and skip accents; folding first makes the
//!    accented and unaccented spellings go through the stemmer identically, so they always
//!    give the same token. The price: a few accented suffixes the Snowball rules know are no
//!    longer recognised, and rare collisions (`año`/`ano`). Other scripts are left as they are
//!    (transliterating Cyrillic would collide with Latin words).
//! 3. Words are stemmed with the Snowball stemmer of the language ([`stemmer_for`]); languages
//!    without one are only lowercased and folded. Spanish and Portuguese also lose a final
//!    vowel + `s` that Snowball leaves on short plurals of words ending in a stressed vowel
//!    (`champús`, `sofás`, `xampus`).
//! 4. Han, Hiragana and Katakana have no spaces and no stemmer: each run of them gives its
//!    overlapping character bigrams (`シャンプー` → `シャ`, `ャン`, `ンプ`, `プー`), or the
//!    character itself when the run is one character long. Bigrams match a word inside a
//!    longer sentence without a dictionary. (Thai and other unspaced scripts stay one token
//!    per run: a known gap.)
//!
//! Token ids are the FNV-1a 32-bit hash of the token's UTF-8 bytes: stable across processes,
//! platforms and releases (std's `DefaultHasher` is not), so stored vectors stay valid. Two
//! tokens may collide; at 32 bits that is rare and costs a little precision, never an error.
//!
//! # Which language
//! Stems differ per language, so a document must be indexed with the stems its queries will
//! use. Products are indexed once but queried in each customer's language:
//! [`document_vector_multi`] indexes the union of a text's tokens stemmed under each of the
//! brand's languages (keeping the larger weight when two stem alike), so a query stemmed in any
//! of them finds its stems. This only helps when the *words* are shared (`shampoos` in an
//! English description, `champús` typed by a Spanish customer about a product whose Spanish
//! name says `champú`); it does not translate: a Spanish customer's `champu` will never match
//! an English-only `shampoo`. Meaning across languages is the dense embeddings' job; the sparse
//! side is for exact words.

use std::collections::BTreeMap;

use deunicode::deunicode;
use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// BM25 term-frequency saturation: how fast repeated terms stop adding weight.
pub const K1: f32 = 1.2;
/// BM25 length normalisation: how much longer-than-average documents are discounted.
pub const B: f32 = 0.75;

/// A sparse vector as Qdrant takes it: `indices` strictly increasing, one value each.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVector {
    /// No token at all (an empty or all-punctuation text): skip the sparse search.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    fn from_map(weights: BTreeMap<u32, f32>) -> Self {
        let (indices, values) = weights.into_iter().unzip();
        Self { indices, values }
    }
}

/// The stable id of a token: FNV-1a, 32 bits, over its UTF-8 bytes.
pub fn token_id(token: &str) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    token.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(PRIME)
    })
}

/// The Snowball algorithm for an ISO 639-1 code (region subtags ignored), if there is one.
pub fn stemmer_for(lang: &str) -> Option<Algorithm> {
    let primary = lang.split(['-', '_']).next().unwrap_or_default();
    Some(match primary.to_ascii_lowercase().as_str() {
        "ar" => Algorithm::Arabic,
        "da" => Algorithm::Danish,
        "de" => Algorithm::German,
        "el" => Algorithm::Greek,
        "en" => Algorithm::English,
        "es" => Algorithm::Spanish,
        "fi" => Algorithm::Finnish,
        "fr" => Algorithm::French,
        "hu" => Algorithm::Hungarian,
        "it" => Algorithm::Italian,
        "nl" => Algorithm::Dutch,
        "no" | "nb" | "nn" => Algorithm::Norwegian,
        "pt" => Algorithm::Portuguese,
        "ro" => Algorithm::Romanian,
        "ru" => Algorithm::Russian,
        "sv" => Algorithm::Swedish,
        "ta" => Algorithm::Tamil,
        "tr" => Algorithm::Turkish,
        _ => return None,
    })
}

/// Han ideographs, Hiragana and Katakana (with the prolonged sound mark and iteration marks):
/// the scripts tokenised as character bigrams.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3005}'..='\u{3007}'     // 々 〆 〇
        | '\u{3040}'..='\u{309F}'   // Hiragana
        | '\u{30A0}'..='\u{30FF}'   // Katakana, including ー
        | '\u{31F0}'..='\u{31FF}'   // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}'   // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
        | '\u{FF66}'..='\u{FF9F}'   // halfwidth Katakana
        | '\u{20000}'..='\u{2FFFF}' // CJK extensions B and later
    )
}

/// Whether every character is Latin script (or a digit, or a combining accent).
fn is_latin(word: &str) -> bool {
    word.chars().all(|c| {
        c.is_ascii()
            || matches!(c,
                '\u{00C0}'..='\u{024F}'     // Latin-1 letters, Latin Extended A and B
                | '\u{0300}'..='\u{036F}'   // combining diacritics
                | '\u{1E00}'..='\u{1EFF}'   // Latin Extended Additional (Vietnamese)
            )
    })
}

/// Tokenises with one stemmer resolved once per text.
struct Tokenizer {
    stemmer: Option<Stemmer>,
    drop_plural_s: bool,
}

impl Tokenizer {
    fn new(lang: &str) -> Self {
        let algorithm = stemmer_for(lang);
        Self {
            drop_plural_s: drops_plural_s(lang),
            stemmer: algorithm.map(Stemmer::create),
        }
    }

    fn tokens(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cjk_run = String::new();
        for segment in text.split_word_bounds() {
            if segment.chars().all(is_cjk) {
                cjk_run.push_str(segment);
                continue;
            }
            push_cjk_run(&mut cjk_run, &mut out);
            if !segment.chars().any(char::is_alphanumeric) {
                continue;
            }
            self.push_word(segment, &mut out);
        }
        push_cjk_run(&mut cjk_run, &mut out);
        out
    }

    fn push_word(&self, word: &str, out: &mut Vec<String>) {
        let lower = word.to_lowercase();
        if !is_latin(&lower) {
            out.push(self.stem(lower));
            return;
        }
        let folded = deunicode(&lower).to_ascii_lowercase();
        // UAX #29 keeps `l'eau`, `dell'olio`, `don't` whole: split at apostrophes and drop the
        // one-letter elisions.
        let parts: Vec<&str> = folded.split(['\'', '’']).collect();
        for part in &parts {
            let part: String = part.chars().filter(|c| c.is_alphanumeric()).collect();
            if part.is_empty() || (parts.len() > 1 && part.len() == 1) {
                continue;
            }
            out.push(self.stem(part));
        }
    }

    fn stem(&self, word: String) -> String {
        let Some(stemmer) = &self.stemmer else {
            return word;
        };
        let mut stem = stemmer.stem(&word).into_owned();
        if self.drop_plural_s && stem.len() >= 4 && stem.ends_with('s') {
            let before = stem.as_bytes()[stem.len() - 2];
            if matches!(before, b'a' | b'e' | b'i' | b'o' | b'u') {
                stem.pop();
            }
        }
        stem
    }
}

/// Whether `lang`'s plurals of words ending in a stressed vowel add a bare `s` that Snowball
/// leaves on (`champús`, `sofás`, `xampus`): Spanish and Portuguese.
pub fn drops_plural_s(lang: &str) -> bool {
    matches!(
        stemmer_for(lang),
        Some(Algorithm::Spanish | Algorithm::Portuguese)
    )
}

/// `text` with such plurals made singular, word by word (`champús de argán` →
/// `champú de argán`), everything else (spaces, quotes, operators) kept; `None` if nothing
/// changes or `lang` has no such plurals. For search engines whose stemmer we cannot extend
/// (PostgreSQL's `spanish`): search for both spellings.
pub fn singular_words(text: &str, lang: &str) -> Option<String> {
    if !drops_plural_s(lang) {
        return None;
    }
    let vowel = |c: char| "aeiouáéíóúâêôãõàü".contains(c.to_lowercase().next().unwrap_or(c));
    let mut changed = false;
    let out: String = text
        .split_word_bounds()
        .map(|word| {
            let chars: Vec<char> = word.chars().collect();
            match chars.as_slice() {
                [.., v, s] if chars.len() >= 4 && matches!(s, 's' | 'S') && vowel(*v) => {
                    changed = true;
                    word[..word.len() - 1].to_owned()
                }
                _ => word.to_owned(),
            }
        })
        .collect();
    changed.then_some(out)
}

/// Emits a CJK run's bigrams (or its single character) and empties it.
fn push_cjk_run(run: &mut String, out: &mut Vec<String>) {
    let chars: Vec<char> = run.chars().collect();
    match chars.as_slice() {
        [] => {}
        [one] => out.push(one.to_string()),
        many => out.extend(many.windows(2).map(|pair| pair.iter().collect())),
    }
    run.clear();
}

/// The tokens of `text` under `lang`'s rules (ISO 639-1), in order, duplicates kept.
pub fn tokens(text: &str, lang: &str) -> Vec<String> {
    Tokenizer::new(lang).tokens(text)
}

/// BM25 weights of a token list: `tf·(k1+1) / (tf + k1·(1 − b + b·len/avg))`.
fn bm25(tokens: &[String], avg_doc_len: f32) -> BTreeMap<u32, f32> {
    let mut tf: BTreeMap<u32, f32> = BTreeMap::new();
    for token in tokens {
        *tf.entry(token_id(token)).or_default() += 1.0;
    }
    // Token counts are far below 2^24: exact in f32.
    let len = tokens.len() as f32;
    let relative_len = if avg_doc_len.is_finite() && avg_doc_len > 0.0 {
        len / avg_doc_len
    } else {
        1.0
    };
    let norm = K1 * (1.0 - B + B * relative_len);
    tf.into_iter()
        .map(|(id, f)| (id, f * (K1 + 1.0) / (f + norm)))
        .collect()
}

/// The sparse vector to index a document with: BM25 term weights of its tokens under `lang`,
/// normalised by its length against `avg_doc_len` (the collection's average token count; pass
/// a rough constant if unknown, e.g. the typical product text, and keep it fixed).
pub fn document_vector(text: &str, lang: &str, avg_doc_len: f32) -> SparseVector {
    SparseVector::from_map(bm25(&tokens(text, lang), avg_doc_len))
}

/// A document vector for customers writing in any of `langs`: the union of the text's tokens
/// stemmed under each language, the larger weight winning when two languages give the same
/// token. See the module docs for what this does and does not match. No languages: the text is
/// tokenised without stemming.
pub fn document_vector_multi(text: &str, langs: &[&str], avg_doc_len: f32) -> SparseVector {
    if langs.is_empty() {
        return document_vector(text, "", avg_doc_len);
    }
    let mut merged: BTreeMap<u32, f32> = BTreeMap::new();
    for lang in langs {
        for (id, weight) in bm25(&tokens(text, lang), avg_doc_len) {
            let slot = merged.entry(id).or_insert(weight);
            *slot = slot.max(weight);
        }
    }
    SparseVector::from_map(merged)
}

/// `text` with every run of three or more of the same letter cut to `keep` (chat spelling:
/// `champuuu`, `shampooo`, `holaaa`); `None` when there is no such run.
fn collapse_runs(text: &str, keep: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut changed) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        if run >= 3 && c.is_alphabetic() {
            out.extend(std::iter::repeat_n(c, keep));
            changed = true;
        } else {
            out.extend(&chars[i..i + run]);
        }
        i += run;
    }
    changed.then_some(out)
}

/// The sparse vector to search with: weight 1 for each distinct token of the customer's text
/// in their language (Qdrant multiplies in the IDF). Letters drawn out the way people write in
/// chats (`champuuu`) also count cut to one and to two (which one the word had is unknown:
/// `champú`, `shampoo`); catalog text is indexed as written.
pub fn query_vector(text: &str, lang: &str) -> SparseVector {
    let mut all = tokens(text, lang);
    for keep in [1, 2] {
        if let Some(collapsed) = collapse_runs(text, keep) {
            all.extend(tokens(&collapsed, lang));
        }
    }
    SparseVector::from_map(all.iter().map(|t| (token_id(t), 1.0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(tokens: &[&str]) -> Vec<u32> {
        let mut ids: Vec<u32> = tokens.iter().map(|t| token_id(t)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Whether the query shares at least one token with the document.
    fn matches(document: &SparseVector, query: &SparseVector) -> bool {
        query.indices.iter().any(|i| document.indices.contains(i))
    }

    fn assert_well_formed(v: &SparseVector) {
        assert_eq!(v.indices.len(), v.values.len());
        assert!(
            v.indices.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates: {v:?}"
        );
        assert!(v.values.iter().all(|w| w.is_finite() && *w > 0.0));
    }

    #[test]
    fn token_ids_are_fnv1a_and_stable() {
        // Published FNV-1a 32 test vectors, then ids stored vectors depend on.
        assert_eq!(token_id(""), 0x811c_9dc5);
        assert_eq!(token_id("a"), 0xe40c_292c);
        assert_eq!(token_id("foobar"), 0xbf9c_f968);
        assert_eq!(token_id("shampoo"), 1_053_096_614);
        assert_eq!(token_id("champu"), 686_907_759);
        assert_eq!(token_id("シャ"), 1_549_847_136);
    }

    #[test]
    fn english_stemming_matches_plurals() {
        assert_eq!(tokens("Shampoos, 250ml!", "en"), ["shampoo", "250ml"]);
        let document = document_vector("Curl shampoo for dry hair", "en", 10.0);
        assert!(matches(
            &document,
            &query_vector("do you have shampoos?", "en")
        ));
    }

    #[test]
    fn spanish_plurals_and_accents_match() {
        for spelling in ["champú", "champús", "champu", "champus", "CHAMPÚ"] {
            assert_eq!(tokens(spelling, "es"), ["champu"], "{spelling}");
        }
        let document = document_vector("Champú para rizos", "es", 10.0);
        assert!(matches(
            &document,
            &query_vector("hola, tienen champús?", "es")
        ));
        // Stems of other words are unaffected by the plural rule when short.
        assert_eq!(tokens("gas mes", "es"), ["gas", "mes"]);
    }

    #[test]
    fn plurals_are_made_singular_for_other_search_engines() {
        assert_eq!(
            singular_words("Champús de argán", "es").as_deref(),
            Some("Champú de argán")
        );
        assert_eq!(
            singular_words("\"xampus\" -sofás", "pt-BR").as_deref(),
            Some("\"xampu\" -sofá")
        );
        assert_eq!(singular_words("champú gas", "es"), None);
        assert_eq!(singular_words("shampoos", "en"), None);
    }

    #[test]
    fn drawn_out_chat_spellings_find_the_word() {
        let document = document_vector("Champú de seda / Silk shampoo", "es", 10.0);
        for query in ["champuuu", "CHAMPÚÚÚ porfa"] {
            assert!(matches(&document, &query_vector(query, "es")), "{query}");
        }
        assert!(matches(
            &document_vector("Silk shampoo", "en", 10.0),
            &query_vector("shampooooo!!", "en")
        ));
        assert_eq!(collapse_runs("holaaa", 1).as_deref(), Some("hola"));
        assert_eq!(collapse_runs("holaaa", 2).as_deref(), Some("holaa"));
        // Two of a letter is ordinary spelling; digits are left alone.
        assert_eq!(collapse_runs("shampoo 1000ml", 1), None);
    }

    #[test]
    fn japanese_bigrams_find_a_word_inside_a_sentence() {
        assert_eq!(tokens("シャンプー", "ja"), ["シャ", "ャン", "ンプ", "プー"]);
        let document = document_vector("シャンプー 250ml", "ja", 10.0);
        let query = query_vector("シャンプーはありますか", "ja");
        let shared = query
            .indices
            .iter()
            .filter(|i| document.indices.contains(i))
            .count();
        assert_eq!(shared, 4);
        // A single ideograph is its own token; punctuation splits runs.
        assert_eq!(tokens("桜、東京", "ja"), ["桜", "東京"]);
    }

    #[test]
    fn punctuation_and_emoji_are_dropped_and_elisions_split() {
        assert_eq!(tokens("¡¿...?! 👍 — ", "es"), Vec::<String>::new());
        assert_eq!(tokens("l'huile d'argan", "fr"), tokens("huile argan", "fr"));
        assert_eq!(tokens("Straße", "xx"), ["strasse"]);
        // Cyrillic is stemmed, not transliterated.
        assert_eq!(tokens("шампуни", "ru"), ["шампун"]);
    }

    #[test]
    fn document_vectors_are_sorted_merged_bm25_weights() {
        let v = document_vector("shampoo shampoos conditioner", "en", 3.0);
        assert_well_formed(&v);
        assert_eq!(v.indices, ids(&["shampoo", "condition"]));
        let weight = |token: &str| {
            v.values[v
                .indices
                .iter()
                .position(|i| *i == token_id(token))
                .unwrap()]
        };
        // Length equals the average: norm = k1, so tf=2 → 2·2.2/3.2 and tf=1 → 2.2/2.2.
        assert!((weight("shampoo") - 2.0 * 2.2 / 3.2).abs() < 1e-6);
        assert!((weight("condition") - 1.0).abs() < 1e-6);
        // Longer than average: lower weight for the same term frequency.
        let long = document_vector("conditioner a b c d e f g h i", "en", 3.0);
        let long_weight = long.values[long
            .indices
            .iter()
            .position(|i| *i == token_id("condition"))
            .unwrap()];
        assert!(long_weight < 1.0);
        // A nonsensical average is treated as "this document is average".
        assert_eq!(
            document_vector("shampoo shampoos conditioner", "en", 0.0),
            v
        );
    }

    #[test]
    fn query_vectors_weigh_each_distinct_token_once() {
        let q = query_vector("Shampoo? shampoos, SHAMPOO and conditioner", "en");
        assert_well_formed(&q);
        assert_eq!(q.indices, ids(&["shampoo", "and", "condition"]));
        assert!(q.values.iter().all(|w| (*w - 1.0).abs() < f32::EPSILON));
        assert!(query_vector("  ?! ", "en").is_empty());
    }

    #[test]
    fn multi_language_documents_carry_each_languages_stems() {
        let text = "Champú hidratante / Moisturising shampoos";
        let multi = document_vector_multi(text, &["en", "es"], 6.0);
        assert_well_formed(&multi);
        assert!(matches(&multi, &query_vector("shampoo", "en")));
        assert!(matches(&multi, &query_vector("champús", "es")));
        // Every single-language vector is contained in the union, at no higher weight.
        for lang in ["en", "es"] {
            let single = document_vector(text, lang, 6.0);
            for (id, weight) in single.indices.iter().zip(&single.values) {
                let at = multi.indices.iter().position(|i| i == id).unwrap();
                assert!(multi.values[at] >= *weight);
            }
        }
        // No translation: the Spanish word never matches an English-only text.
        let english_only = document_vector_multi("Moisturising shampoo", &["en", "es"], 6.0);
        assert!(!matches(&english_only, &query_vector("champú", "es")));
        assert_eq!(
            document_vector_multi(text, &[], 6.0),
            document_vector(text, "", 6.0)
        );
    }

    #[test]
    fn stemmers_map_from_iso_codes() {
        assert_eq!(stemmer_for("en"), Some(Algorithm::English));
        assert_eq!(stemmer_for("pt-BR"), Some(Algorithm::Portuguese));
        assert_eq!(stemmer_for("nb"), Some(Algorithm::Norwegian));
        assert_eq!(stemmer_for("ja"), None);
        assert_eq!(stemmer_for(""), None);
    }
}
