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

pub mod glossary;
pub mod memory;
pub mod sparse;

use std::collections::HashMap;

use uuid::Uuid;

use crate::tenants::TenantScope;

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
}
