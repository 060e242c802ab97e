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

/// One product's searchable text.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductDoc {
    pub product_id: Uuid,
    pub number: i32,
    /// Name, description, category and option values, as one text.
    pub text: String,
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
    /// Adds or replaces products of the scope's brand.
    async fn upsert(&self, scope: &TenantScope, docs: &[ProductDoc]) -> Result<(), SearchError>;
    /// Removes products of the scope's brand.
    async fn delete(&self, scope: &TenantScope, product_ids: &[Uuid]) -> Result<(), SearchError>;
    /// Removes every product of the scope's brand (before a full reindex).
    async fn clear(&self, scope: &TenantScope) -> Result<(), SearchError>;
    /// The best `limit` products of the scope's brand for `query` in language `lang`.
    async fn search(
        &self,
        scope: &TenantScope,
        query: &str,
        lang: &str,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError>;
    /// How many points the scope's brand has (tests, readiness).
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
    fn settings_debug_never_shows_the_key() {
        let settings = EmbeddingsSettings {
            base_url: "http://x/v1".into(),
            model: "m".into(),
            api_key: Some("sk-secret".into()),
        };
        assert!(!format!("{settings:?}").contains("sk-secret"));
    }
}
