//! Which language to answer a customer in, as an ISO 639-1 code the brand supports.
//!
//! Order of trust: the customer's stored preference (they told us, or we learned it), then the
//! language of what they just wrote, then the brand's default. Chat messages are short ("hola",
//! "ok", "merci"), and a statistical detector is often unsure or wrong on them, so detection
//! is only believed when it is confident, and it only chooses among the brand's supported
//! languages (restricting the candidates is what makes short texts usable at all). Scripts that
//! belong to one language (kana: Japanese) are certain on a couple of characters.

use whatlang::{Detector, Lang};

/// The confidence (0 to 1, among the supported languages) a detection needs to be used.
/// Calibrated on short chat messages: a plain English or German question scores about 0.3,
/// mistakes on two-word messages score below 0.2.
pub const MIN_CONFIDENCE: f64 = 0.3;

/// ISO 639-1 codes and whatlang's languages (which use ISO 639-3).
const LANGS: &[(&str, Lang)] = &[
    ("en", Lang::Eng),
    ("es", Lang::Spa),
    ("de", Lang::Deu),
    ("fr", Lang::Fra),
    ("pt", Lang::Por),
    ("it", Lang::Ita),
    ("ja", Lang::Jpn),
    ("nl", Lang::Nld),
    ("sv", Lang::Swe),
    ("da", Lang::Dan),
    ("nb", Lang::Nob),
    ("fi", Lang::Fin),
    ("pl", Lang::Pol),
    ("cs", Lang::Ces),
    ("ro", Lang::Ron),
    ("hu", Lang::Hun),
    ("el", Lang::Ell),
    ("ru", Lang::Rus),
    ("uk", Lang::Ukr),
    ("tr", Lang::Tur),
    ("ar", Lang::Ara),
    ("he", Lang::Heb),
    ("hi", Lang::Hin),
    ("zh", Lang::Cmn),
    ("ko", Lang::Kor),
    ("th", Lang::Tha),
    ("vi", Lang::Vie),
    ("id", Lang::Ind),
];

/// The ISO 639-1 code of a whatlang language, for the languages in the table above.
pub fn iso639_1(lang: Lang) -> Option<&'static str> {
    LANGS
        .iter()
        .find(|(_, l)| *l == lang)
        .map(|(code, _)| *code)
}

fn whatlang_lang(code: &str) -> Option<Lang> {
    // Norwegian is usually written `no`; whatlang knows Bokmål.
    let code = if code == "no" { "nb" } else { code };
    LANGS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// `es`, `ES`, `es-MX` and `es_MX` all mean `es`.
fn primary_subtag(tag: &str) -> String {
    tag.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The language to answer `text` in: `preference` when the brand supports it, else the
/// detected language of `text` when detection is confident and the language supported, else
/// `default`. Codes are ISO 639-1 (region subtags are ignored); the result is always one of
/// `supported`, or `default`.
pub fn detect(text: &str, supported: &[&str], default: &str, preference: Option<&str>) -> String {
    let supported: Vec<String> = supported.iter().map(|s| primary_subtag(s)).collect();
    let is_supported = |code: &str| supported.iter().any(|s| s == code);

    if let Some(preferred) = preference.map(primary_subtag)
        && is_supported(&preferred)
    {
        return preferred;
    }

    let candidates: Vec<Lang> = supported.iter().filter_map(|c| whatlang_lang(c)).collect();
    if !candidates.is_empty()
        && let Some(info) = Detector::with_allowlist(candidates).detect(text)
        && (info.is_reliable() || info.confidence() >= MIN_CONFIDENCE)
        && let Some(code) = iso639_1(info.lang())
        && is_supported(code)
    {
        return code.to_owned();
    }

    primary_subtag(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRAND: &[&str] = &["en", "es", "de", "fr", "pt", "it", "ja", "nl"];

    fn detected(text: &str) -> String {
        detect(text, BRAND, "en", None)
    }

    #[test]
    fn short_questions_in_several_languages() {
        assert_eq!(detected("hola, tienen champú?"), "es");
        assert_eq!(detected("シャンプーはありますか"), "ja");
        assert_eq!(detected("hi, do you have shampoo?"), "en");
        assert_eq!(detected("Habt ihr Shampoo für lockiges Haar?"), "de");
        assert_eq!(detected("olá, vocês têm shampoo?"), "pt");
    }

    #[test]
    fn longer_messages_in_several_languages() {
        assert_eq!(
            detected(
                "Bonjour, je cherche un shampooing pour cheveux bouclés, qu'est-ce que vous me conseillez ?"
            ),
            "fr"
        );
        assert_eq!(
            detected(
                "Buongiorno, vorrei sapere se avete uno shampoo per capelli ricci e quanto costa."
            ),
            "it"
        );
        assert_eq!(
            detected("Goedemiddag, hebben jullie ook shampoo voor krullend haar en wat kost die?"),
            "nl"
        );
    }

    #[test]
    fn unsure_detection_falls_back_to_the_default() {
        assert_eq!(detect("ok", BRAND, "es", None), "es");
        assert_eq!(detect("hola", BRAND, "de", None), "de");
        assert_eq!(detect("👍", BRAND, "fr", None), "fr");
        assert_eq!(detect("", BRAND, "it", None), "it");
    }

    #[test]
    fn unsupported_languages_fall_back_to_the_default() {
        // Japanese, at a brand that only speaks English and Spanish.
        assert_eq!(
            detect("シャンプーはありますか", &["en", "es"], "es", None),
            "es"
        );
        // Russian is not a candidate at all.
        assert_eq!(
            detect(
                "Здравствуйте, у вас есть шампунь для вьющихся волос?",
                &["en", "de"],
                "de",
                None
            ),
            "de"
        );
    }

    #[test]
    fn a_supported_preference_wins() {
        assert_eq!(
            detect("hello, do you have shampoo?", BRAND, "en", Some("es")),
            "es"
        );
        assert_eq!(detect("hello", BRAND, "en", Some("pt-BR")), "pt");
        // An unsupported preference is ignored.
        assert_eq!(
            detect("hola, tienen champú?", BRAND, "en", Some("ko")),
            "es"
        );
    }

    #[test]
    fn codes_map_between_iso_639_1_and_639_3() {
        for code in ["en", "es", "de", "fr", "pt", "it", "ja", "nl"] {
            let lang = whatlang_lang(code).unwrap();
            assert_eq!(iso639_1(lang), Some(code));
        }
        assert_eq!(whatlang_lang("es").map(|l| l.code()), Some("spa"));
        assert_eq!(whatlang_lang("ja").map(|l| l.code()), Some("jpn"));
        assert_eq!(whatlang_lang("no"), Some(Lang::Nob));
        assert_eq!(whatlang_lang("xx"), None);
    }
}
