//! An in-process sparse index, one partition per brand. Used by tests and as the fallback
//! when no other backend is configured; the brand partition is chosen inside from the scope.

use std::{collections::HashMap, sync::RwLock};

use uuid::Uuid;

use super::{AVG_DOC_LEN, Hit, INDEX_LANGUAGES, ProductDoc, SearchError, VectorIndex, sparse};
use crate::scope::TenantScope;

struct Point {
    product_id: Uuid,
    number: i32,
    lang: String,
    own: bool,
    vector: sparse::SparseVector,
}

/// Sparse vectors per brand (one per product and locale, by point id), scored by dot product
/// with IDF weighting computed per brand.
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
            brand.retain(|_, p| p.product_id != d.product_id);
            for point in d.points(scope.tenant_id()) {
                brand.insert(
                    point.id,
                    Point {
                        product_id: d.product_id,
                        number: d.number,
                        lang: point.lang,
                        own: point.own,
                        vector: sparse::document_vector_multi(
                            point.text,
                            INDEX_LANGUAGES,
                            AVG_DOC_LEN,
                        ),
                    },
                );
            }
        }
        Ok(())
    }

    async fn delete(&self, scope: &TenantScope, product_ids: &[Uuid]) -> Result<(), SearchError> {
        let mut brands = self
            .brands
            .write()
            .map_err(|_| SearchError::Backend("poisoned".into()))?;
        if let Some(brand) = brands.get_mut(&scope.tenant_id()) {
            brand.retain(|_, p| !product_ids.contains(&p.product_id));
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
        let lang = super::language_of(lang);
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
        let scored: Vec<(bool, Hit)> = brand
            .values()
            .map(|p| {
                let hit = Hit {
                    product_id: p.product_id,
                    number: p.number,
                    score: dot_with_idf(&q, &p.vector, &idf),
                };
                (p.lang == lang, hit)
            })
            .filter(|(_, h)| h.score > 0.0)
            .collect();
        let in_lang = scored
            .iter()
            .filter(|(same, _)| *same)
            .map(|(_, h)| h.clone())
            .collect();
        let all = scored.into_iter().map(|(_, h)| h).collect();
        Ok(super::locale_first(in_lang, all, limit))
    }

    async fn count(&self, scope: &TenantScope) -> Result<usize, SearchError> {
        let brands = self
            .brands
            .read()
            .map_err(|_| SearchError::Backend("poisoned".into()))?;
        Ok(brands
            .get(&scope.tenant_id())
            .map_or(0, |b| b.values().filter(|p| p.own).count()))
    }
}
