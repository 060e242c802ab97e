//! Product retrieval for the assistant: a [`VectorIndex`] per deployment, every call scoped to
//! one brand.
//!
//! A brand's products are indexed with a BM25-style sparse vector computed in process
//! ([`sparse`]: exact words, stems, SKUs, brand terms) and, when an OpenAI-compatible embeddings
//! API is configured, a dense vector (meaning across languages); the two rankings are fused with
//! reciprocal rank fusion ([`rrf`]). Every backend takes the [`TenantScope`] on every call and
//! builds its brand filter or partition inside itself: no caller can search or write another
//! brand's points. Prices and availability are not indexed: replies read them fresh from the
//! database.
//!
//! # Locales
//! A product is indexed as one point per locale: its own text (the brand's default locale, at
//! [`point_id`]) and one point per translation into another of the brand's locales (at
//! [`locale_point_id`]), each tagged with its language ([`LANG_FIELD`]). A search runs each
//! ranking twice, both under the brand filter: once on the points of the customer's detected
//! language, once on every point; [`locale_first`] merges them by product, a match in the
//! customer's language weighing [`LOCALE_BONUS`] more than the same match in another. Counts
//! count products (the own-text points, [`OWN_FIELD`]), not points.
//!
//! # Backends
//! - [`edge::EdgeIndex`]: the embedded default, `qdrant-edge` under `{DATA_DIR}/search/`: one
//!   shared shard, every point tagged with its brand, the brand filter added inside.
//! - [`server::QdrantServerIndex`]: a Qdrant server or cluster (`QDRANT_URL`): one collection,
//!   a tenant payload index, the same filter on every request.
//! - [`memory::MemoryIndex`]: in process, nothing persisted (tests).
//!
//! [`open_index`] picks one from [`SearchSettings`].

pub mod edge;
pub mod embed;
pub mod glossary;
pub mod memory;
pub mod server;
pub mod sparse;

use std::{collections::HashMap, sync::Arc};

use uuid::Uuid;

pub use embed::Embedder;

pub use crate::config::{DEFAULT_COLLECTION, EmbeddingsSettings, SearchSettings};
use crate::scope::TenantScope;

/// One product's searchable text, per locale.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductDoc {
    pub product_id: Uuid,
    pub number: i32,
    /// Name, description, category and option values, as one text: the product's own, in
    /// the brand's default locale.
    pub text: String,
    /// The BCP 47 locale of `text` (the brand's default; empty: unknown).
    pub locale: String,
    /// `(locale, text)` for each other locale of the brand the product is translated into.
    pub translations: Vec<(String, String)>,
}

/// One point to write: a product's text in one locale.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DocPoint<'a> {
    pub id: Uuid,
    /// The ISO 639-1 language of the locale ([`language_of`]).
    pub lang: String,
    pub text: &'a str,
    /// The product's own text (counted), not a translation.
    pub own: bool,
}

impl ProductDoc {
    /// The points of this product for `tenant`: its own text first, then one per
    /// translation (an empty translation is skipped).
    pub(crate) fn points(&self, tenant: Uuid) -> Vec<DocPoint<'_>> {
        let mut points = vec![DocPoint {
            id: point_id(tenant, self.product_id),
            lang: language_of(&self.locale),
            text: &self.text,
            own: true,
        }];
        for (locale, text) in &self.translations {
            if text.trim().is_empty() {
                continue;
            }
            points.push(DocPoint {
                id: locale_point_id(tenant, self.product_id, locale),
                lang: language_of(locale),
                text,
                own: false,
            });
        }
        points
    }
}

/// The ISO 639-1 language of a BCP 47 locale, lowercase (`es-MX` → `es`), as the customer's
/// detected language is spelled.
pub fn language_of(locale: &str) -> String {
    locale
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// A retrieved product.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub product_id: Uuid,
    pub number: i32,
    pub score: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search backend: {0}")]
    Backend(String),
    #[error("embeddings: {0}")]
    Embeddings(String),
}

/// The languages documents are stemmed in, so a query stemmed in any of them can match.
pub const INDEX_LANGUAGES: &[&str] = &["en", "es", "de", "fr", "pt", "it", "ja"];

/// Average product text length (tokens) assumed by the BM25 length normalisation. Fixed: it is
/// baked into indexed vectors.
pub const AVG_DOC_LEN: f32 = 40.0;

/// The name of the sparse (BM25-style, IDF-weighted) vector in both Qdrant backends.
pub const SPARSE_VECTOR: &str = "bm25";
/// The name of the optional dense vector in both Qdrant backends.
pub const DENSE_VECTOR: &str = "dense";
/// The payload field carrying a point's brand, filtered on by every read and delete.
pub const TENANT_FIELD: &str = "tenant_id";
/// Payload fields a hit is read back from.
pub(crate) const PRODUCT_FIELD: &str = "product_id";
pub(crate) const NUMBER_FIELD: &str = "number";
/// The payload field carrying a point's language (ISO 639-1), filtered on by the
/// detected-language half of a search.
pub const LANG_FIELD: &str = "lang";
/// The payload field marking a product's own-text point (`true`): one per product, so counts
/// count products.
pub const OWN_FIELD: &str = "own";

/// How much more a match in the customer's detected language weighs than the same match in
/// another language's text (a multiplier on the sparse or dense score). A principle, not a
/// fitted figure: the customer's language wins ties and near-ties, never over a clearly
/// better match elsewhere (a Spanish customer typing an English product name still finds it).
pub const LOCALE_BONUS: f32 = 1.25;

/// `k` of the reciprocal rank fusion of the sparse and dense rankings (the usual 60).
pub const RRF_K: f32 = 60.0;

/// How many candidates each ranking contributes to the fusion for `limit` results.
pub(crate) fn fusion_candidates(limit: usize) -> usize {
    limit.saturating_mul(4).max(20)
}

/// The namespace of point ids (UUIDv5). Fixed: stored points are addressed by it.
const POINT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a4e_9b0d_5c37_8e21_d4a9_3f70_b6c8);

/// The point id of a brand's product: UUIDv5 of (brand, product), so re-upserting a product
/// replaces its point, and two brands can never address the same point.
pub fn point_id(tenant_id: Uuid, product_id: Uuid) -> Uuid {
    let mut name = [0_u8; 32];
    name[..16].copy_from_slice(tenant_id.as_bytes());
    name[16..].copy_from_slice(product_id.as_bytes());
    Uuid::new_v5(&POINT_ID_NAMESPACE, &name)
}

/// The point id of a product's translation into `locale`: UUIDv5 of (brand, product, locale),
/// so re-upserting replaces it and no two brands, products or locales share one.
pub fn locale_point_id(tenant_id: Uuid, product_id: Uuid, locale: &str) -> Uuid {
    let mut name = Vec::with_capacity(32 + locale.len());
    name.extend_from_slice(tenant_id.as_bytes());
    name.extend_from_slice(product_id.as_bytes());
    name.extend_from_slice(locale.as_bytes());
    Uuid::new_v5(&POINT_ID_NAMESPACE, &name)
}

/// The best hit of each product in a ranking of points, best first (a product has a point
/// per locale).
pub(crate) fn best_per_product(points: Vec<Hit>) -> Vec<Hit> {
    let mut best: Vec<Hit> = Vec::with_capacity(points.len());
    for hit in points {
        match best.iter_mut().find(|h| h.product_id == hit.product_id) {
            Some(h) if h.score >= hit.score => {}
            Some(h) => *h = hit,
            None => best.push(hit),
        }
    }
    best.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.number.cmp(&b.number)));
    best
}

/// Merges the detected language's ranking (`in_lang`, points of that language only) with the
/// ranking over every language (`all`), both under the brand filter and scored alike: per
/// product the better of its score in `all` and [`LOCALE_BONUS`] times its score in `in_lang`,
/// best first, at most `limit`.
pub fn locale_first(in_lang: Vec<Hit>, all: Vec<Hit>, limit: usize) -> Vec<Hit> {
    let boosted = in_lang.into_iter().map(|h| Hit {
        score: h.score * LOCALE_BONUS,
        ..h
    });
    let mut merged = best_per_product(boosted.chain(all).collect());
    merged.truncate(limit);
    merged
}

/// The index the settings describe: the Qdrant server when `qdrant_url` is set, else the
/// embedded index under `{data_dir}/search/` (opened here, so a broken directory fails
/// start-up; it blocks briefly: call it at start-up, not per request).
pub fn open_index(settings: &SearchSettings) -> Result<Arc<dyn VectorIndex>, SearchError> {
    let embedder = settings
        .embeddings
        .as_ref()
        .map(Embedder::new)
        .transpose()?;
    Ok(
        match settings.qdrant_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => Arc::new(server::QdrantServerIndex::new(
                url,
                &settings.qdrant_collection,
                embedder,
            )?),
            None => Arc::new(edge::EdgeIndex::open(
                &settings.data_dir.join("search"),
                embedder,
            )?),
        },
    )
}

/// A brand-scoped vector index of products.
#[async_trait::async_trait]
pub trait VectorIndex: Send + Sync {
    /// Adds or replaces products of the scope's brand, with every locale's point (a locale
    /// no longer in a doc loses its point).
    async fn upsert(&self, scope: &TenantScope, docs: &[ProductDoc]) -> Result<(), SearchError>;
    /// Removes products of the scope's brand.
    async fn delete(&self, scope: &TenantScope, product_ids: &[Uuid]) -> Result<(), SearchError>;
    /// Removes every product of the scope's brand (before a full reindex).
    async fn clear(&self, scope: &TenantScope) -> Result<(), SearchError>;
    /// The best `limit` products of the scope's brand for `query` in language `lang` (ISO
    /// 639-1), matched in that language's points first ([`locale_first`]).
    async fn search(
        &self,
        scope: &TenantScope,
        query: &str,
        lang: &str,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError>;
    /// How many products the scope's brand has indexed (tests, readiness).
    async fn count(&self, scope: &TenantScope) -> Result<usize, SearchError>;
}

/// The sparse query vector for a customer's question: its own words stemmed in its language,
/// plus the English words of any glossary terms it contains ([`glossary`]), since catalogs are
/// written in English.
pub fn query_sparse(query: &str, lang: &str) -> sparse::SparseVector {
    let own = sparse::query_vector(query, lang);
    let extra = glossary::expand(query, lang);
    if extra.is_empty() {
        return own;
    }
    let english = sparse::query_vector(&extra, "en");
    let mut pairs: Vec<(u32, f32)> = own
        .indices
        .iter()
        .copied()
        .zip(own.values.iter().copied())
        .collect();
    for (i, v) in english.indices.iter().zip(&english.values) {
        if !pairs.iter().any(|(j, _)| j == i) {
            pairs.push((*i, *v));
        }
    }
    pairs.sort_by_key(|p| p.0);
    sparse::SparseVector {
        indices: pairs.iter().map(|p| p.0).collect(),
        values: pairs.iter().map(|p| p.1).collect(),
    }
}

/// Reciprocal rank fusion of several rankings (each best first): score = sum 1 / (k + rank).
pub fn rrf(rankings: &[Vec<Hit>], k: f32, limit: usize) -> Vec<Hit> {
    let mut fused: HashMap<Uuid, Hit> = HashMap::new();
    for ranking in rankings {
        for (rank, hit) in ranking.iter().enumerate() {
            let entry = fused.entry(hit.product_id).or_insert(Hit {
                score: 0.0,
                ..hit.clone()
            });
            entry.score += 1.0 / (k + rank as f32 + 1.0);
        }
    }
    let mut out: Vec<Hit> = fused.into_values().collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.number.cmp(&b.number)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(n: u128) -> Hit {
        Hit {
            product_id: Uuid::from_u128(n),
            number: n as i32,
            score: 1.0,
        }
    }

    #[test]
    fn rrf_rewards_agreement() {
        let fused = rrf(
            &[vec![hit(1), hit(2), hit(3)], vec![hit(2), hit(3), hit(4)]],
            60.0,
            3,
        );
        let order: Vec<i32> = fused.iter().map(|h| h.number).collect();
        assert_eq!(order, [2, 3, 1]);
    }

    #[test]
    fn point_ids_are_stable_per_brand_and_product() {
        let (a, b, p) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert_eq!(point_id(a, p), point_id(a, p));
        assert_ne!(point_id(a, p), point_id(b, p));
        assert_eq!(point_id(a, p).get_version_num(), 5);
        // Pinned: stored points are addressed by these ids.
        assert_eq!(
            point_id(a, p).to_string(),
            "7c956353-1887-51a9-be20-8d07b8fc7b08"
        );
    }

    #[test]
    fn locale_points_differ_per_locale_and_the_own_point_keeps_its_id() {
        let (a, p) = (Uuid::from_u128(1), Uuid::from_u128(3));
        let doc = ProductDoc {
            product_id: p,
            number: 3,
            text: "Silk shampoo".into(),
            locale: "en".into(),
            translations: vec![
                ("es-MX".into(), "Champú de seda".into()),
                ("ja".into(), "シルク シャンプー".into()),
                ("fr".into(), "  ".into()),
            ],
        };
        let points = doc.points(a);
        let langs: Vec<&str> = points.iter().map(|p| p.lang.as_str()).collect();
        assert_eq!(langs, ["en", "es", "ja"]);
        assert_eq!(points[0].id, point_id(a, p));
        assert!(points[0].own && !points[1].own);
        assert_ne!(points[1].id, points[2].id);
        assert_ne!(
            locale_point_id(a, p, "es"),
            locale_point_id(Uuid::from_u128(2), p, "es")
        );
    }

    #[test]
    fn the_detected_languages_match_wins_near_ties_but_not_clear_losses() {
        let h = |n: u128, score: f32| Hit { score, ..hit(n) };
        // Product 2 matched in Spanish at 1.0 beats product 1 matched elsewhere at 1.1, not
        // product 3 at 2.0; product 2's own weaker point elsewhere does not count twice.
        let merged = locale_first(
            vec![h(2, 1.0)],
            vec![h(3, 2.0), h(1, 1.1), h(2, 0.9), h(2, 0.2)],
            3,
        );
        let order: Vec<i32> = merged.iter().map(|h| h.number).collect();
        assert_eq!(order, [3, 2, 1]);
        assert_eq!(locale_first(vec![], vec![h(1, 1.0), h(1, 0.5)], 3).len(), 1);
    }

    #[test]
    fn settings_debug_never_shows_the_key() {
        let settings = EmbeddingsSettings {
            base_url: "http://x/v1".into(),
            model: "m".into(),
            api_key: Some("sk-secret".into()),
        };
        assert!(!format!("{settings:?}").contains("sk-secret"));
    }
}
