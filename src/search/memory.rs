//! An in-process sparse index, one partition per brand. Used by tests and as the fallback
//! when no other backend is configured; the brand partition is chosen inside from the scope.

use std::{collections::HashMap, sync::RwLock};

use uuid::Uuid;

use super::{AVG_DOC_LEN, Hit, INDEX_LANGUAGES, ProductDoc, SearchError, VectorIndex, sparse};
use crate::scope::TenantScope;

struct Point {
    number: i32,
    vector: sparse::SparseVector,
}

/// Sparse vectors per brand, scored by dot product with IDF weighting computed per brand.
#[derive(Default)]
pub struct MemoryIndex {
    brands: RwLock<HashMap<Uuid, HashMap<Uuid, Point>>>,
}

impl MemoryIndex {
    pub fn new() -> Self {
        Self::default()
    }
}

fn dot_with_idf(
    query: &sparse::SparseVector,
    doc: &sparse::SparseVector,
    idf: &HashMap<u32, f32>,
) -> f32 {
    let mut score = 0.0;
    let (mut i, mut j) = (0, 0);
    while i < query.indices.len() && j < doc.indices.len() {
        match query.indices[i].cmp(&doc.indices[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let w = idf.get(&query.indices[i]).copied().unwrap_or(0.0);
                score += query.values[i] * doc.values[j] * w;
                i += 1;
                j += 1;
            }
        }
    }
    score
}

#[async_trait::async_trait]
impl VectorIndex for MemoryIndex {
    async fn upsert(&self, scope: &TenantScope, docs: &[ProductDoc]) -> Result<(), SearchError> {
        let mut brands = self
            .brands
            .write()
            .map_err(|_| SearchError::Backend("poisoned".into()))?;
        let brand = brands.entry(scope.tenant_id()).or_default();
        for d in docs {
            brand.insert(
                d.product_id,
                Point {
                    number: d.number,
                    vector: sparse::document_vector_multi(&d.text, INDEX_LANGUAGES, AVG_DOC_LEN),
                },
            );
        }
        Ok(())
    }

    async fn delete(&self, scope: &TenantScope, product_ids: &[Uuid]) -> Result<(), SearchError> {
        let mut brands = self
            .brands
            .write()
            .map_err(|_| SearchError::Backend("poisoned".into()))?;
        if let Some(brand) = brands.get_mut(&scope.tenant_id()) {
            for id in product_ids {
                brand.remove(id);
            }
        }
        Ok(())
    }

    async fn clear(&self, scope: &TenantScope) -> Result<(), SearchError> {
        let mut brands = self
            .brands
            .write()
            .map_err(|_| SearchError::Backend("poisoned".into()))?;
        brands.remove(&scope.tenant_id());
        Ok(())
    }

    async fn search(
        &self,
        scope: &TenantScope,
        query: &str,
        lang: &str,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let brands = self
            .brands
            .read()
            .map_err(|_| SearchError::Backend("poisoned".into()))?;
        let Some(brand) = brands.get(&scope.tenant_id()) else {
            return Ok(Vec::new());
        };
        let q = super::query_sparse(query, lang);
        // IDF over this brand's documents only (Qdrant's IDF modifier does the same per collection).
        let n = brand.len() as f32;
        let mut df: HashMap<u32, f32> = HashMap::new();
        for p in brand.values() {
            for id in &p.vector.indices {
                if q.indices.binary_search(id).is_ok() {
                    *df.entry(*id).or_default() += 1.0;
                }
            }
        }
        let idf: HashMap<u32, f32> = df
            .into_iter()
            .map(|(id, f)| (id, ((n - f + 0.5) / (f + 0.5) + 1.0).ln()))
            .collect();
        let mut hits: Vec<Hit> = brand
            .iter()
            .map(|(id, p)| Hit {
                product_id: *id,
                number: p.number,
                score: dot_with_idf(&q, &p.vector, &idf),
            })
            .filter(|h| h.score > 0.0)
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.number.cmp(&b.number)));
        hits.truncate(limit);
        Ok(hits)
    }

    async fn count(&self, scope: &TenantScope) -> Result<usize, SearchError> {
        let brands = self
            .brands
            .read()
            .map_err(|_| SearchError::Backend("poisoned".into()))?;
        Ok(brands.get(&scope.tenant_id()).map_or(0, HashMap::len))
    }
}
