//! A small cross-language glossary of beauty and hair-care terms, for query expansion.
//!
//! The catalogs are written in English; customers write in their own language. Stemming alone
//! cannot bridge `champú` and `shampoo`; dense embeddings can (when configured), and this
//! glossary covers the common product words without them: a query in Spanish, German, French,
//! Portuguese, Italian or Japanese gets the English words of the terms it contains appended
//! (matched on ASCII-folded, lowercased words, or as substrings for Japanese). General domain
//! vocabulary only: no product or brand names.

use deunicode::deunicode;

type Entry = (&'static str, &'static str);

const ES: &[Entry] = &[
    ("champu", "shampoo"),
    ("acondicionador", "conditioner"),
    ("mascarilla", "mask"),
    ("aceite", "oil"),
    ("suero", "serum"),
    ("crema", "cream"),
    ("cera", "wax"),
    ("pomada", "pomade"),
    ("laca", "hairspray"),
    ("espuma", "mousse"),
    ("fijador", "hold"),
    ("fijacion", "hold"),
    ("fuerte", "strong"),
    ("cabello", "hair"),
    ("pelo", "hair"),
    ("rizos", "curl curly"),
    ("rizado", "curl curly"),
    ("liso", "straight sleek"),
    ("seco", "dry"),
    ("secas", "dry"),
    ("seca", "dry"),
    ("graso", "oily"),
    ("grasa", "oily"),
    ("danado", "damaged"),
    ("tenido", "colour color"),
    ("caspa", "dandruff"),
    ("cuero cabelludo", "scalp"),
    ("picor", "itchy scalp"),
    ("puntas", "ends"),
    ("protector termico", "heat protectant"),
    ("calor", "heat"),
    ("plancha", "straightener flat iron"),
    ("secador", "hair dryer"),
    ("rizador", "curling wand"),
    ("tenacillas", "curling wand"),
    ("cepillo", "brush"),
    ("peine", "comb"),
    ("pinza", "clip"),
    ("pinzas", "clips"),
    ("garra", "claw"),
    ("coletero", "scrunchie"),
    ("gomas", "hair ties"),
    ("diadema", "headband"),
    ("horquillas", "bobby pins"),
    ("gorro", "bonnet"),
    ("seda", "silk"),
    ("saten", "satin"),
    ("ceramica", "ceramic"),
    ("titanio", "titanium"),
    ("ionico", "ionic"),
    ("viaje", "travel"),
    ("piel", "skin"),
    ("sensible", "sensitive"),
    ("hidratante", "moisturising hydrating"),
    ("limpiador", "cleanser"),
    ("desmaquillante", "cleansing makeup remover"),
    ("tonico", "toner"),
    ("protector solar", "sunscreen spf"),
    ("manos", "hand"),
    ("ojos", "eye"),
    ("ojeras", "dark circles eye"),
    ("corporal", "body"),
    ("cuerpo", "body"),
    ("exfoliante", "scrub exfoliating"),
    ("sales de bano", "bath salts"),
    ("mate", "matte"),
    ("volumen", "volume"),
    ("sulfatos", "sulfate-free sulfate"),
    ("rubio", "blonde"),
    ("canas", "grey coverage"),
    ("argan", "argan"),
    ("agrietadas", "cracked dry"),
    ("mineral", "mineral"),
];

const DE: &[Entry] = &[
    ("haarspray", "hairspray"),
    ("halt", "hold"),
    ("starkem", "strong"),
    ("stark", "strong"),
    ("haar", "hair"),
    ("haare", "hair"),
    ("haaren", "hair"),
    ("haarausfall", "hair loss thinning"),
    ("dunnes", "thin fine"),
    ("dunn", "thin fine"),
    ("haarkur", "hair mask treatment"),
    ("blondiertes", "bleached blonde"),
    ("blonden", "blonde"),
    ("blond", "blonde"),
    ("kaputtes", "damaged"),
    ("kaputt", "damaged"),
    ("silbershampoo", "silver purple shampoo"),
    ("gelbstich", "brassy yellow"),
    ("haarwachs", "wax"),
    ("wachs", "wax"),
    ("mattes", "matte"),
    ("matt", "matte"),
    ("kurze", "short"),
    ("locken", "curl curls"),
    ("lockig", "curly"),
    ("lockenstab", "curling wand"),
    ("fohn", "hair dryer"),
    ("diffusor", "diffuser"),
    ("haargummis", "hair ties scrunchie"),
    ("haargummi", "hair tie scrunchie"),
    ("knick", "crease"),
    ("glatteisen", "straightener flat iron"),
    ("reise", "travel"),
    ("kleines", "mini small"),
    ("tonmaske", "clay mask"),
    ("unreine", "blemish"),
    ("poren", "pores"),
    ("korperpeeling", "body scrub"),
    ("peeling", "scrub"),
    ("raue", "rough dry"),
    ("badesalz", "bath salts"),
    ("duft", "scent"),
    ("haut", "skin"),
    ("feuchtigkeit", "moisturising hydrating"),
    ("sonnenschutz", "sunscreen spf"),
    ("sonnencreme", "sunscreen spf"),
    ("creme", "cream"),
    ("spulung", "conditioner"),
    ("schuppen", "dandruff"),
    ("kopfhaut", "scalp"),
    ("burste", "brush"),
    ("kamm", "comb"),
];

const FR: &[Entry] = &[
    ("shampooing", "shampoo"),
    ("apres-shampooing", "conditioner"),
    ("masque", "mask"),
    ("huile", "oil"),
    ("creme", "cream"),
    ("cheveux", "hair"),
    ("fins", "fine thin"),
    ("boucles", "curl curls curly"),
    ("definir", "defining"),
    ("coloration", "colour color dye"),
    ("ammoniaque", "ammonia"),
    ("blancs", "grey white"),
    ("texturisant", "texturising texture"),
    ("sel de mer", "sea salt"),
    ("hydratante", "moisturising hydrating"),
    ("peau", "skin"),
    ("seche", "dry"),
    ("demaquillante", "cleansing makeup remover"),
    ("eclat", "brightening radiance"),
    ("vitamine", "vitamin"),
    ("solaire", "sunscreen spf sun"),
    ("corps", "body"),
    ("resistante a l'eau", "water resistant waterproof"),
    ("lisseur", "straightener flat iron"),
    ("titane", "titanium"),
    ("chouchou", "scrunchie"),
    ("soie", "silk"),
    ("bonnet", "bonnet"),
    ("dormir", "sleep night"),
    ("seche-cheveux", "hair dryer"),
    ("brosse", "brush"),
    ("peigne", "comb"),
    ("pince", "clip"),
    ("bandeau", "headband"),
    ("cire", "wax"),
    ("laque", "hairspray"),
    ("pellicules", "dandruff"),
    ("cuir chevelu", "scalp"),
    ("boucleur", "curling wand"),
];

const PT: &[Entry] = &[
    ("anticaspa", "anti-dandruff dandruff"),
    ("caspa", "dandruff"),
    ("condicionador", "conditioner"),
    ("cabelo", "hair"),
    ("cacheado", "curly curl"),
    ("mascara capilar", "hair mask"),
    ("mascara", "mask"),
    ("queratina", "keratin"),
    ("danificado", "damaged"),
    ("acido hialuronico", "hyaluronic acid"),
    ("hidratante", "moisturiser hydrating"),
    ("pele", "skin"),
    ("oleosa", "oily"),
    ("oleo", "oil"),
    ("corporal", "body"),
    ("camelia", "camellia"),
    ("secador", "hair dryer"),
    ("viagem", "travel"),
    ("escova", "brush"),
    ("alisadora", "straightening straightener"),
    ("eletrica", "electric"),
    ("piranha", "claw clip"),
    ("preta", "black"),
    ("preto", "black"),
    ("grande", "large big"),
    ("chapinha", "straightener flat iron"),
    ("creme", "cream"),
    ("seco", "dry"),
];

const IT: &[Entry] = &[
    ("lacca", "hairspray"),
    ("capelli", "hair"),
    ("tenuta", "hold"),
    ("forte", "strong"),
    ("antigiallo", "anti-yellow purple silver brassy"),
    ("biondi", "blonde"),
    ("olio", "oil"),
    ("secchi", "dry"),
    ("crespi", "frizzy frizz"),
    ("piastra", "straightener flat iron"),
    ("ceramica", "ceramic"),
    ("arricciacapelli", "curling wand iron"),
    ("pinza", "clip"),
    ("forcine", "bobby pins"),
    ("nere", "black"),
    ("nero", "black"),
    ("balsamo", "conditioner"),
    ("maschera", "mask"),
    ("crema", "cream"),
    ("pelle", "skin"),
    ("asciugacapelli", "hair dryer"),
    ("phon", "hair dryer"),
    ("spazzola", "brush"),
    ("pettine", "comb"),
    ("elastici", "hair ties"),
    ("ricci", "curl curly"),
    ("forfora", "dandruff"),
];

/// Japanese: substrings (no spaces to split on).
const JA: &[Entry] = &[
    ("クレンジングオイル", "cleansing oil"),
    ("クレンジング", "cleansing"),
    ("オイル", "oil"),
    ("マスカラ", "mascara makeup"),
    ("ウォータープルーフ", "waterproof"),
    ("敏感肌", "sensitive skin"),
    ("保湿", "moisturising hydrating"),
    ("クリーム", "cream"),
    ("日焼け止め", "sunscreen spf"),
    ("美容液", "serum essence"),
    ("シミ", "dark spots brightening"),
    ("入浴剤", "bath salts"),
    ("香り", "scent"),
    ("柚子", "yuzu"),
    ("ゆず", "yuzu"),
    ("桜", "sakura"),
    ("ハンドクリーム", "hand cream"),
    ("化粧水", "toner lotion"),
    ("乳液", "emulsion"),
    ("洗顔", "cleanser face wash"),
    ("マスク", "mask"),
    ("パック", "mask"),
    ("ボディ", "body"),
    ("シャンプー", "shampoo"),
    ("乾燥肌", "dry skin"),
    ("脂性肌", "oily skin"),
    ("毛穴", "pores"),
    ("米", "rice"),
    ("ライス", "rice"),
    ("抹茶", "matcha"),
    ("目元", "eye"),
];

fn entries(lang: &str) -> &'static [Entry] {
    match lang {
        "es" => ES,
        "de" => DE,
        "fr" => FR,
        "pt" => PT,
        "it" => IT,
        "ja" => JA,
        _ => &[],
    }
}

/// English words for the glossary terms found in `query` (empty for English or no match).
pub fn expand(query: &str, lang: &str) -> String {
    let table = entries(lang);
    if table.is_empty() {
        return String::new();
    }
    let mut out: Vec<&str> = Vec::new();
    if lang == "ja" {
        for (term, english) in table {
            if query.contains(term) && !out.contains(english) {
                out.push(english);
            }
        }
        return out.join(" ");
    }
    let folded = deunicode(query).to_lowercase();
    let words: Vec<&str> = folded
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let padded = format!(" {} ", words.join(" "));
    for (term, english) in table {
        let found = if term.contains(' ') {
            padded.contains(&format!(" {term} "))
        } else {
            words
                .iter()
                .any(|w| w == term || (term.len() >= 5 && w.starts_with(term)))
        };
        if found && !out.contains(english) {
            out.push(english);
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn common_terms_are_bridged() {
        assert_eq!(expand("¿tienen champú para el pelo?", "es"), "shampoo hair");
        assert!(expand("Ich brauche einen Föhn mit Diffusor", "de").contains("hair dryer"));
        assert!(expand("je cherche une huile démaquillante", "fr").contains("cleansing"));
        assert!(expand("敏感肌用の保湿クリームを探しています", "ja").contains("sensitive skin"));
        assert_eq!(expand("shampoo for dry hair", "en"), "");
        assert_eq!(expand("nada que ver", "es"), "");
    }
}
