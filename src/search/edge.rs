//! The embedded backend: `qdrant-edge` 0.6.1, in process, persisted under a directory
//! (`{DATA_DIR}/search/`).
//!
//! # Layout: one shared shard, the brand filter inside
//! All brands' products live in one shard at `{dir}/products/`; every point carries its
//! brand in the `tenant_id` payload field (keyword index, `is_tenant`), and every search,
//! count and delete this type sends adds a `must` condition on it, built from the
//! [`TenantScope`]. Point ids are [`super::point_id`] (UUIDv5 of brand and product) for a
//! product's own text and [`super::locale_point_id`] for each translation, so a write can only
//! ever replace the same brand's point; writing a product first deletes its points (brand
//! filter and product), so a locale it lost loses its point. Searches run each ranking on the
//! detected language's points and on every point, both brand-filtered
//! ([`super::locale_first`]). It is the Qdrant-server backend's model.
//!
//! One shard per brand was measured against it (`layout_figures` in the tests: debug build,
//! this shared 2-core machine, 200 products per brand, sparse vectors; ranges over two runs):
//!
//! | | 3 brands, per brand | 3 brands, shared | 50 brands, per brand | 50 brands, shared |
//! |---|---|---|---|---|
//! | threads left running | 0 | 0 | 0 | 0 |
//! | open files / memory mappings | +3 / +77 | +1 / +23 | +50 / +1,182 | +1 / +23 |
//! | disk allocated / apparent | 0.7 / 405 MiB | 0.5 / 135 MiB | 11.7 / 6,755 MiB | 7.4 / 135 MiB |
//! | opening (all shards) | 263-298 ms | 117-142 ms | 4.1 s | 1.0-1.1 s |
//! | indexing everything | 1.9-2.1 s | 1.1-1.3 s | 27-35 s | 24-25 s |
//! | one search | 1.0-2.1 ms | 1.1-1.7 ms | 1.1-1.3 ms | 1.6-2.3 ms |
//!
//! Measured, 0.6.1 leaves no thread running per shard (rayon pools exist only while
//! `optimize` builds an index, and the WAL's segment creator exits when done), so the thread
//! figures in ARCHITECTURE.md section 8 do not apply to it. The cost of a shard is ~24 memory
//! mappings, a locked file, ~80 ms to open (debug) and ~135 MiB of sparse files (two 32 MiB
//! WAL segments and pre-sized segment files; little is really allocated, but backups, copies
//! and quotas that ignore holes see it). Those grow with every brand; search time barely
//! differs (the tenant payload index keeps a filtered search small). So: one shared shard,
//! which also needs no shard registry, nothing to create when a brand appears, and the same
//! model as the server backend. The price is that isolation rests on the filter this type
//! adds, which the tests check for searches, counts, deletes and clears.
//!
//! # What 0.6.1 does that this type works around
//! - **The write-ahead log is never replayed and never truncated.** `EdgeShard::update`
//!   appends every operation to `wal/` (32 MiB segments), `EdgeShard::load` does not read it
//!   back, and nothing acks it, so it grows by every write forever. Durability comes from the
//!   segments instead: this type flushes them after every write. The log cannot simply be
//!   deleted: it numbers operations, segments ignore an operation numbered below a point's
//!   version, and a fresh log restarts at 0 (updates of existing points then silently do
//!   nothing; a test caught exactly that). So when a second segment has closed, the shard is
//!   optimised (vacuum of deleted points), closed, every closed segment but the newest is
//!   deleted (what an ack would do) and the shard reopened; the same pruning runs at open.
//!   The log stays under ~96 MiB per shard. Pinned to `=0.6.1`: re-check before upgrading.
//! - **`EdgeShard::flush` panics if another thread holds the WAL**: writes and flushes are
//!   serialised here. Searches run concurrently with each other and with writes, and wait
//!   only while the shard reopens.
//! - Every call blocks: all of them go through `tokio::task::spawn_blocking`. There is no
//!   search thread pool to cap: a search runs on the blocking thread that calls it.
//!
//! # Scores
//! The sparse vector `bm25` uses Qdrant's IDF modifier, computed over the whole shard: with
//! one shared shard, the other brands' products weigh on a term's IDF (how a term ranks, never
//! which brand's points are returned). The server backend has the same property per
//! collection; the in-memory backend computes IDF per brand.
//!
//! # Dense vectors
//! With an [`Embedder`], products also get a `dense` vector (cosine), searched separately and
//! fused with [`rrf`]. Its size is fixed when the shard is created, by the first embeddings
//! stored (so with an embedder, a new shard is created on the first upsert). A shard created
//! without dense vectors stays sparse-only (a warning at open); a model with another size is
//! refused at upsert. Either way: delete `{dir}/products/` and reindex every brand. If the
//! embeddings API fails during a search, the search falls back to sparse only.

use std::{
    fs, io,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError, RwLock},
};

use qdrant_edge::{
    Condition, CountRequest, CreateIndex, Distance, EdgeConfig, EdgeShard, EdgeSparseVectorParams,
    EdgeVectorParams, FieldCondition, FieldIndexOperations, Filter, HasIdCondition, JsonPath,
    KeywordIndexParams, Match, Modifier, NamedQuery, PayloadFieldSchema, PayloadSchemaParams,
    PointId, PointInsertOperations, PointOperations, PointStruct, QueryEnum, QueryRequest,
    ScoredPoint, ScoringQuery, UpdateOperation, ValueVariants, Vector, VectorInternal, Vectors,
    WithPayloadInterface, WithVector,
};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::{
    AVG_DOC_LEN, DENSE_VECTOR, Embedder, Hit, INDEX_LANGUAGES, LANG_FIELD, NUMBER_FIELD, OWN_FIELD,
    PRODUCT_FIELD, ProductDoc, RRF_K, SPARSE_VECTOR, SearchError, TENANT_FIELD, VectorIndex,
    fusion_candidates, locale_first, rrf, sparse,
};
use crate::scope::TenantScope;

/// The shard's directory under the index directory.
const SHARD_DIR: &str = "products";
/// `EdgeShard`'s files (0.6.1 layout).
const WAL_DIR: &str = "wal";
const CONFIG_FILE: &str = "edge_config.json";
/// Products per update operation.
const UPSERT_CHUNK: usize = 256;

/// A `qdrant-edge` index of every brand's products, filtered per brand inside.
pub struct EdgeIndex {
    path: PathBuf,
    embedder: Option<Embedder>,
    /// Unset only while no shard exists and an embedder must first tell the dense size.
    shard: OnceCell<Arc<Shard>>,
}

impl EdgeIndex {
    /// Opens (or creates) the index in `dir` (created if missing). Blocks: call it at start-up
    /// or inside `spawn_blocking`.
    pub fn open(dir: &Path, embedder: Option<Embedder>) -> Result<Self, SearchError> {
        fs::create_dir_all(dir).map_err(io_error)?;
        let path = dir.join(SHARD_DIR);
        let shard = if Shard::exists(&path) {
            let shard = Shard::load(&path)?;
            if embedder.is_some() && shard.dense_size.is_none() {
                tracing::warn!(
                    search.path = %path.display(),
                    "the search index was built without dense vectors: searching sparse only \
                     until it is deleted and every brand reindexed"
                );
            }
            Some(Arc::new(shard))
        } else if embedder.is_none() {
            Some(Arc::new(Shard::create(&path, None)?))
        } else {
            None
        };
        Ok(Self {
            path,
            embedder,
            shard: OnceCell::new_with(shard),
        })
    }

    /// The shard to write to, created with `dense_size` if there is none yet.
    async fn shard_for_write(&self, dense_size: Option<usize>) -> Result<Arc<Shard>, SearchError> {
        self.shard
            .get_or_try_init(|| {
                let path = self.path.clone();
                blocking(move || Shard::create(&path, dense_size).map(Arc::new))
            })
            .await
            .cloned()
    }
}

#[async_trait::async_trait]
impl VectorIndex for EdgeIndex {
    #[tracing::instrument(name = "search.upsert", skip_all, fields(tenant.id = %scope.tenant_id(), search.docs = docs.len()))]
    async fn upsert(&self, scope: &TenantScope, docs: &[ProductDoc]) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        // A shard without a dense vector cannot store embeddings: do not pay for them.
        let sparse_only = self.shard.get().is_some_and(|s| s.dense_size.is_none());
        let tenant = scope.tenant_id();
        let dense = match &self.embedder {
            Some(embedder) if !sparse_only => {
                // One vector per point (product and locale), in `ProductDoc::points` order.
                let texts: Vec<String> = docs
                    .iter()
                    .flat_map(|d| d.points(tenant))
                    .map(|p| p.text.to_owned())
                    .collect();
                Some(embedder.embed(&texts).await?)
            }
            _ => None,
        };
        let wanted_size = dense.as_ref().and_then(|v| v.first()).map(Vec::len);
        let shard = self.shard_for_write(wanted_size).await?;
        let dense = match (shard.dense_size, wanted_size) {
            (Some(have), Some(got)) if have != got => {
                return Err(SearchError::Embeddings(format!(
                    "the model returns {got} dimensions but the index was built with {have}: \
                     delete {} and reindex every brand",
                    self.path.display()
                )));
            }
            (Some(_), Some(_)) => dense,
            _ => None,
        };
        let docs = docs.to_vec();
        blocking(move || shard.upsert(tenant, &docs, dense)).await
    }

    async fn delete(&self, scope: &TenantScope, product_ids: &[Uuid]) -> Result<(), SearchError> {
        let Some(shard) = self.shard.get().cloned() else {
            return Ok(());
        };
        if product_ids.is_empty() {
            return Ok(());
        }
        let tenant = scope.tenant_id();
        let ids = product_ids.to_vec();
        blocking(move || shard.delete(tenant, Some(&ids))).await
    }

    #[tracing::instrument(name = "search.clear", skip_all, fields(tenant.id = %scope.tenant_id()))]
    async fn clear(&self, scope: &TenantScope) -> Result<(), SearchError> {
        let Some(shard) = self.shard.get().cloned() else {
            return Ok(());
        };
        let tenant = scope.tenant_id();
        blocking(move || shard.delete(tenant, None)).await
    }

    #[tracing::instrument(name = "search.query", skip_all, fields(tenant.id = %scope.tenant_id()))]
    async fn search(
        &self,
        scope: &TenantScope,
        query: &str,
        lang: &str,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let Some(shard) = self.shard.get().cloned() else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let dense = match (&self.embedder, shard.dense_size) {
            (Some(embedder), Some(_)) => match embedder.embed_one(query).await {
                Ok(vector) => Some(vector),
                Err(err) => {
                    tracing::warn!(error = %err, "query embedding failed: searching sparse only");
                    None
                }
            },
            _ => None,
        };
        let tenant = scope.tenant_id();
        let sparse = super::query_sparse(query, lang);
        let lang = super::language_of(lang);
        let candidates = fusion_candidates(limit);
        let (sparse_hits, dense_hits) =
            blocking(move || shard.search(tenant, &lang, &sparse, dense, candidates)).await?;
        Ok(match dense_hits {
            Some(dense_hits) => rrf(&[sparse_hits, dense_hits], RRF_K, limit),
            None => {
                let mut hits = sparse_hits;
                hits.truncate(limit);
                hits
            }
        })
    }

    async fn count(&self, scope: &TenantScope) -> Result<usize, SearchError> {
        let Some(shard) = self.shard.get().cloned() else {
            return Ok(0);
        };
        let tenant = scope.tenant_id();
        blocking(move || shard.count(tenant)).await
    }
}

/// Runs a blocking shard call off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> Result<T, SearchError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SearchError::Backend(format!("search task failed: {e}")))?
}

/// One `EdgeShard` and the locking its 0.6.1 API needs. Every method blocks.
struct Shard {
    path: PathBuf,
    /// The size of the `dense` vector, if the shard has one.
    dense_size: Option<usize>,
    /// `None` only while the shard reopens to prune its WAL (or if that reopening failed).
    edge: RwLock<Option<EdgeShard>>,
    /// Serialises writes, flushes and reopening.
    writes: Mutex<()>,
}

impl Shard {
    fn exists(path: &Path) -> bool {
        path.join(CONFIG_FILE).is_file()
    }

    fn config(dense_size: Option<usize>) -> EdgeConfig {
        let mut config = EdgeConfig::default();
        config.sparse_vectors.insert(
            SPARSE_VECTOR.to_owned(),
            EdgeSparseVectorParams {
                full_scan_threshold: None,
                on_disk: None,
                modifier: Some(Modifier::Idf),
                datatype: None,
            },
        );
        if let Some(size) = dense_size {
            config.vectors.insert(
                DENSE_VECTOR.to_owned(),
                EdgeVectorParams {
                    size,
                    distance: Distance::Cosine,
                    on_disk: None,
                    multivector_config: None,
                    datatype: None,
                    quantization_config: None,
                    hnsw_config: None,
                },
            );
        }
        config
    }

    /// A new, empty shard at `path` (anything left there by an interrupted creation is
    /// removed: without its config file it cannot be loaded).
    fn create(path: &Path, dense_size: Option<usize>) -> Result<Self, SearchError> {
        if path.exists() {
            fs::remove_dir_all(path).map_err(io_error)?;
        }
        fs::create_dir_all(path).map_err(io_error)?;
        let edge = EdgeShard::new(path, Self::config(dense_size)).map_err(backend)?;
        Self::ensure_tenant_index(&edge)?;
        edge.flush();
        Ok(Self {
            path: path.to_owned(),
            dense_size,
            edge: RwLock::new(Some(edge)),
            writes: Mutex::new(()),
        })
    }

    /// The shard at `path`, its write-ahead log pruned.
    fn load(path: &Path) -> Result<Self, SearchError> {
        let edge = Self::load_edge(path)?;
        let dense_size = edge.config().vectors.get(DENSE_VECTOR).map(|v| v.size);
        Self::ensure_tenant_index(&edge)?;
        edge.flush();
        Ok(Self {
            path: path.to_owned(),
            dense_size,
            edge: RwLock::new(Some(edge)),
            writes: Mutex::new(()),
        })
    }

    fn load_edge(path: &Path) -> Result<EdgeShard, SearchError> {
        prune_wal(&path.join(WAL_DIR))?;
        EdgeShard::load(path, None).map_err(backend)
    }

    fn ensure_tenant_index(edge: &EdgeShard) -> Result<(), SearchError> {
        let indexed = edge
            .info()
            .payload_schema
            .keys()
            .any(|key| key.to_string() == TENANT_FIELD);
        if indexed {
            return Ok(());
        }
        let params = KeywordIndexParams {
            is_tenant: Some(true),
            ..KeywordIndexParams::default()
        };
        edge.update(UpdateOperation::FieldIndexOperation(
            FieldIndexOperations::CreateIndex(CreateIndex {
                field_name: json_path(TENANT_FIELD)?,
                field_schema: Some(PayloadFieldSchema::FieldParams(
                    PayloadSchemaParams::Keyword(params),
                )),
            }),
        ))
        .map_err(backend)
    }

    fn upsert(
        &self,
        tenant: Uuid,
        docs: &[ProductDoc],
        dense: Option<Vec<Vec<f32>>>,
    ) -> Result<(), SearchError> {
        let mut dense = dense.map(Vec::into_iter);
        // Bounded operations: each is one WAL record and holds the update lock while applied.
        for chunk in docs.chunks(UPSERT_CHUNK) {
            // A locale the product lost (translation deleted, locale removed) loses its point:
            // the products' points that this write does not replace go first, under the brand
            // filter. Points it replaces are overwritten in place (deleting and re-inserting
            // every point made qdrant-edge's payload index unloadable after a WAL prune).
            let ids: Vec<Uuid> = chunk.iter().map(|d| d.product_id).collect();
            let keep: Vec<Uuid> = chunk
                .iter()
                .flat_map(|d| d.points(tenant))
                .map(|p| p.id)
                .collect();
            self.delete_stale(tenant, &ids, &keep)?;
            let mut points = Vec::with_capacity(chunk.len());
            for doc in chunk {
                for point in doc.points(tenant) {
                    let terms =
                        sparse::document_vector_multi(point.text, INDEX_LANGUAGES, AVG_DOC_LEN);
                    let mut vectors = vec![(
                        SPARSE_VECTOR,
                        Vector::new_sparse(terms.indices, terms.values).map_err(backend)?,
                    )];
                    if let Some(vector) = dense.as_mut().and_then(Iterator::next) {
                        vectors.push((DENSE_VECTOR, Vector::new_dense(vector)));
                    }
                    let payload = serde_json::json!({
                        TENANT_FIELD: tenant.to_string(),
                        PRODUCT_FIELD: doc.product_id.to_string(),
                        NUMBER_FIELD: doc.number,
                        LANG_FIELD: point.lang,
                        OWN_FIELD: point.own,
                    });
                    points.push(
                        PointStruct::new(
                            PointId::Uuid(point.id),
                            Vectors::new_named(vectors),
                            payload,
                        )
                        .into(),
                    );
                }
            }
            self.write(UpdateOperation::PointOperation(
                PointOperations::UpsertPoints(PointInsertOperations::PointsList(points)),
            ))?;
        }
        Ok(())
    }

    /// Deletes the points of `tenant`'s given products other than `keep`.
    fn delete_stale(
        &self,
        tenant: Uuid,
        product_ids: &[Uuid],
        keep: &[Uuid],
    ) -> Result<(), SearchError> {
        if product_ids.is_empty() {
            return Ok(());
        }
        let mut filter = tenant_filter(tenant)?;
        let mut any = Vec::with_capacity(product_ids.len());
        for id in product_ids {
            any.push(field_is(
                PRODUCT_FIELD,
                ValueVariants::String(id.to_string()),
            )?);
        }
        filter.should = Some(any);
        let keep: HasIdCondition = keep.iter().map(|id| PointId::Uuid(*id)).collect();
        filter.must_not = Some(vec![Condition::HasId(keep)]);
        self.write(UpdateOperation::PointOperation(
            PointOperations::DeletePointsByFilter(filter),
        ))
    }

    /// Deletes the given products of `tenant` (every locale's point), or all of them.
    fn delete(&self, tenant: Uuid, product_ids: Option<&[Uuid]>) -> Result<(), SearchError> {
        let mut filter = tenant_filter(tenant)?;
        if let Some(ids) = product_ids {
            if ids.is_empty() {
                return Ok(());
            }
            let mut any = Vec::with_capacity(ids.len());
            for id in ids {
                any.push(field_is(
                    PRODUCT_FIELD,
                    ValueVariants::String(id.to_string()),
                )?);
            }
            filter.should = Some(any);
        }
        self.write(UpdateOperation::PointOperation(
            PointOperations::DeletePointsByFilter(filter),
        ))
    }

    /// Sparse hits, and dense hits when a query vector is given (both best first, one per
    /// product, `lang`'s points first: [`locale_first`]).
    fn search(
        &self,
        tenant: Uuid,
        lang: &str,
        terms: &sparse::SparseVector,
        dense: Option<Vec<f32>>,
        limit: usize,
    ) -> Result<(Vec<Hit>, Option<Vec<Hit>>), SearchError> {
        let guard = self.edge.read().unwrap_or_else(PoisonError::into_inner);
        let edge = guard.as_ref().ok_or_else(closed)?;
        // Both halves carry the brand filter (`nearest` builds it); the first also the language.
        let ranked = |vector: VectorInternal, using: &str| -> Result<Vec<Hit>, SearchError> {
            let in_lang = nearest(edge, tenant, Some(lang), vector.clone(), using, limit)?;
            let all = nearest(edge, tenant, None, vector, using, limit)?;
            Ok(locale_first(in_lang, all, limit))
        };
        let sparse_hits = if terms.is_empty() {
            Vec::new()
        } else {
            let vector =
                Vector::new_sparse(terms.indices.clone(), terms.values.clone()).map_err(backend)?;
            ranked(vector.0, SPARSE_VECTOR)?
        };
        let dense_hits = dense
            .map(|v| ranked(VectorInternal::Dense(v), DENSE_VECTOR))
            .transpose()?;
        Ok((sparse_hits, dense_hits))
    }

    fn count(&self, tenant: Uuid) -> Result<usize, SearchError> {
        let guard = self.edge.read().unwrap_or_else(PoisonError::into_inner);
        let edge = guard.as_ref().ok_or_else(closed)?;
        // Products, not points: each has one own-text point.
        let mut filter = tenant_filter(tenant)?;
        filter
            .must
            .get_or_insert_with(Vec::new)
            .push(field_is(OWN_FIELD, ValueVariants::Bool(true))?);
        edge.count(CountRequest {
            filter: Some(filter),
            exact: true,
        })
        .map_err(backend)
    }

    /// Applies one update and makes it durable (0.6.1 recovers from segments, not its WAL).
    fn write(&self, operation: UpdateOperation) -> Result<(), SearchError> {
        // The mutex guards no data, only the order of calls: recover it from a poisoning.
        let _writing = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        {
            let guard = self.edge.read().unwrap_or_else(PoisonError::into_inner);
            let edge = guard.as_ref().ok_or_else(closed)?;
            edge.update(operation).map_err(backend)?;
            edge.flush();
        }
        if closed_wal_segments(&self.path.join(WAL_DIR)).len() > 1 {
            self.reopen_pruning_wal()?;
        }
        Ok(())
    }

    /// Optimises (vacuums deleted points, merges segments), closes (which flushes), prunes
    /// the WAL and reopens. Searches wait for it. Call with `writes` held.
    fn reopen_pruning_wal(&self) -> Result<(), SearchError> {
        let mut guard = self.edge.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(edge) = guard.as_ref() {
            edge.optimize().map_err(backend)?;
        }
        drop(guard.take());
        let edge = Self::load_edge(&self.path)?;
        *guard = Some(edge);
        tracing::info!(search.path = %self.path.display(), "search index reopened with its WAL pruned");
        Ok(())
    }
}

/// The WAL's closed segments: (first operation number, file).
fn closed_wal_segments(wal: &Path) -> Vec<(u64, PathBuf)> {
    let Ok(entries) = fs::read_dir(wal) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let start = name.to_str()?.strip_prefix("closed-")?.parse().ok()?;
            Some((start, e.path()))
        })
        .collect()
}

/// Deletes every closed WAL segment but the newest, as `Wal::prefix_truncate` would after an
/// ack, on a closed shard. The newest one must stay: the WAL numbers operations on from its
/// start, and segments ignore an operation numbered below a point's version, so a WAL begun
/// afresh would make later updates of existing points silently do nothing.
fn prune_wal(wal: &Path) -> Result<(), SearchError> {
    let mut closed = closed_wal_segments(wal);
    closed.sort_unstable_by_key(|(start, _)| *start);
    closed.pop();
    for (_, file) in closed {
        fs::remove_file(file).map_err(io_error)?;
    }
    Ok(())
}

/// `tenant_id = tenant`: the condition on every read and delete.
fn tenant_filter(tenant: Uuid) -> Result<Filter, SearchError> {
    Ok(Filter::new_must(Condition::Field(
        FieldCondition::new_match(
            json_path(TENANT_FIELD)?,
            Match::new_value(ValueVariants::String(tenant.to_string())),
        ),
    )))
}

/// `key = value` on a payload field.
fn field_is(key: &str, value: ValueVariants) -> Result<Condition, SearchError> {
    Ok(Condition::Field(FieldCondition::new_match(
        json_path(key)?,
        Match::new_value(value),
    )))
}

fn json_path(key: &str) -> Result<JsonPath, SearchError> {
    JsonPath::try_from(key).map_err(|()| SearchError::Backend(format!("bad payload key {key}")))
}

/// The best `limit` products of the tenant (their best point each) for one named vector,
/// among the points of language `lang` if given. The brand filter is always there.
fn nearest(
    edge: &EdgeShard,
    tenant: Uuid,
    lang: Option<&str>,
    vector: VectorInternal,
    using: &str,
    limit: usize,
) -> Result<Vec<Hit>, SearchError> {
    let mut filter = tenant_filter(tenant)?;
    if let Some(lang) = lang {
        filter.must.get_or_insert_with(Vec::new).push(field_is(
            LANG_FIELD,
            ValueVariants::String(lang.to_owned()),
        )?);
    }
    let request = QueryRequest {
        prefetches: Vec::new(),
        query: Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery::new(
            vector, using,
        )))),
        filter: Some(filter),
        score_threshold: None,
        limit,
        offset: 0,
        params: None,
        with_vector: WithVector::Bool(false),
        with_payload: WithPayloadInterface::Fields(vec![
            json_path(PRODUCT_FIELD)?,
            json_path(NUMBER_FIELD)?,
        ]),
    };
    Ok(super::best_per_product(
        edge.query(request)
            .map_err(backend)?
            .into_iter()
            .filter_map(hit)
            .collect(),
    ))
}

fn hit(point: ScoredPoint) -> Option<Hit> {
    let payload = point.payload?;
    let product_id = payload.0.get(PRODUCT_FIELD)?.as_str()?.parse().ok()?;
    let number = i32::try_from(payload.0.get(NUMBER_FIELD)?.as_i64()?).ok()?;
    Some(Hit {
        product_id,
        number,
        score: point.score,
    })
}

fn backend(err: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(err.to_string())
}

fn io_error(err: io::Error) -> SearchError {
    SearchError::Backend(format!("search index files: {err}"))
}

fn closed() -> SearchError {
    SearchError::Backend("the search index is closed after a failed reopen".into())
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Instant};

    use super::*;
    use crate::{
        scope::{Actor, Tenant},
        search::embed,
    };

    fn scope(n: u128, slug: &str) -> TenantScope {
        TenantScope::new(
            Arc::new(Tenant {
                id: Uuid::from_u128(n),
                slug: slug.into(),
                name: slug.into(),
                sku_prefix: slug[..2].to_uppercase(),
                currency: "EUR".into(),
                is_active: true,
            }),
            Actor::System,
        )
    }

    fn fiber_x() -> TenantScope {
        scope(0xF1, "fiber-x")
    }

    fn suzume() -> TenantScope {
        scope(0x52, "suzume")
    }

    fn doc(n: u128, text: &str) -> ProductDoc {
        ProductDoc {
            product_id: Uuid::from_u128(n),
            number: n as i32,
            text: text.into(),
            ..ProductDoc::default()
        }
    }

    fn fiber_x_docs() -> Vec<ProductDoc> {
        vec![
            doc(
                101,
                "Trail Runner 2 running shoes, breathable mesh, size 42",
            ),
            doc(102, "Merino base layer, long sleeve, black"),
            doc(103, "Carbon trekking poles, foldable, 120 cm"),
        ]
    }

    fn suzume_docs() -> Vec<ProductDoc> {
        vec![
            doc(
                201,
                "Sakura Bloom shampoo 250ml, lavender and cherry blossom",
            ),
            doc(202, "Yuzu hand cream 50ml"),
            doc(203, "Matcha face mask, clay, sensitive skin"),
        ]
    }

    async fn seeded(dir: &Path, embedder: Option<Embedder>) -> EdgeIndex {
        let index = EdgeIndex::open(dir, embedder).unwrap();
        index.upsert(&fiber_x(), &fiber_x_docs()).await.unwrap();
        index.upsert(&suzume(), &suzume_docs()).await.unwrap();
        index
    }

    fn ids(hits: &[Hit]) -> Vec<Uuid> {
        hits.iter().map(|h| h.product_id).collect()
    }

    fn product_ids(docs: &[ProductDoc]) -> Vec<Uuid> {
        docs.iter().map(|d| d.product_id).collect()
    }

    #[tokio::test]
    async fn a_brand_never_finds_another_brands_products_even_by_exact_name() {
        let dir = tempfile::tempdir().unwrap();
        let index = seeded(dir.path(), None).await;

        let own = index
            .search(&suzume(), "Sakura Bloom shampoo", "en", 5)
            .await
            .unwrap();
        assert_eq!(own.first().map(|h| h.number), Some(201));

        let suzume_ids = product_ids(&suzume_docs());
        for query in [
            "Sakura Bloom shampoo 250ml, lavender and cherry blossom",
            "Yuzu hand cream 50ml",
            "matcha",
        ] {
            let hits = index.search(&fiber_x(), query, "en", 10).await.unwrap();
            assert!(
                ids(&hits).iter().all(|id| !suzume_ids.contains(id)),
                "{query}: {hits:?}"
            );
        }
        let hits = index
            .search(&fiber_x(), "running shoes", "en", 10)
            .await
            .unwrap();
        assert_eq!(hits.first().map(|h| h.number), Some(101));
    }

    #[tokio::test]
    async fn counts_are_per_brand() {
        let dir = tempfile::tempdir().unwrap();
        let index = seeded(dir.path(), None).await;
        index
            .upsert(&suzume(), &[doc(204, "Hinoki bath salts")])
            .await
            .unwrap();
        assert_eq!(index.count(&fiber_x()).await.unwrap(), 3);
        assert_eq!(index.count(&suzume()).await.unwrap(), 4);
        assert_eq!(index.count(&scope(0x99, "empty")).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn large_upserts_are_split_and_all_stored() {
        let dir = tempfile::tempdir().unwrap();
        let index = EdgeIndex::open(dir.path(), None).unwrap();
        let docs: Vec<ProductDoc> = (0..UPSERT_CHUNK as u128 * 2 + 7)
            .map(|n| doc(1000 + n, &format!("lantern model {n}")))
            .collect();
        index.upsert(&fiber_x(), &docs).await.unwrap();
        assert_eq!(index.count(&fiber_x()).await.unwrap(), docs.len());
    }

    #[tokio::test]
    async fn the_index_survives_closing_and_reopening() {
        let dir = tempfile::tempdir().unwrap();
        drop(seeded(dir.path(), None).await);

        let index = EdgeIndex::open(dir.path(), None).unwrap();
        assert_eq!(index.count(&fiber_x()).await.unwrap(), 3);
        assert_eq!(index.count(&suzume()).await.unwrap(), 3);
        let hits = index
            .search(&suzume(), "yuzu cream", "en", 3)
            .await
            .unwrap();
        assert_eq!(hits.first().map(|h| h.number), Some(202));
        // Still isolated after the reopen, and still writable.
        let hits = index
            .search(&fiber_x(), "yuzu cream", "en", 3)
            .await
            .unwrap();
        assert!(hits.is_empty(), "{hits:?}");
        // Still writable: new points, replaced points, deleted points.
        index
            .upsert(&fiber_x(), &[doc(104, "Headlamp 400 lumen")])
            .await
            .unwrap();
        assert_eq!(index.count(&fiber_x()).await.unwrap(), 4);
        index
            .upsert(&suzume(), &[doc(202, "Yuzu body lotion 200ml")])
            .await
            .unwrap();
        let hits = index
            .search(&suzume(), "yuzu lotion", "en", 3)
            .await
            .unwrap();
        assert_eq!(hits.first().map(|h| h.number), Some(202));
        let hits = index
            .search(&suzume(), "hand cream", "en", 3)
            .await
            .unwrap();
        assert!(hits.is_empty(), "{hits:?}");
        index
            .delete(&suzume(), &[Uuid::from_u128(201)])
            .await
            .unwrap();
        assert_eq!(index.count(&suzume()).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn delete_and_clear_touch_only_the_scope_brand() {
        let dir = tempfile::tempdir().unwrap();
        let index = seeded(dir.path(), None).await;

        // Fiber X asks to delete Suzume's product ids: nothing of Suzume's goes.
        index
            .delete(&fiber_x(), &product_ids(&suzume_docs()))
            .await
            .unwrap();
        assert_eq!(index.count(&suzume()).await.unwrap(), 3);
        assert_eq!(index.count(&fiber_x()).await.unwrap(), 3);

        index
            .delete(&fiber_x(), &[Uuid::from_u128(102)])
            .await
            .unwrap();
        assert_eq!(index.count(&fiber_x()).await.unwrap(), 2);
        let hits = index.search(&fiber_x(), "merino", "en", 5).await.unwrap();
        assert!(hits.is_empty(), "{hits:?}");

        index.clear(&suzume()).await.unwrap();
        assert_eq!(index.count(&suzume()).await.unwrap(), 0);
        assert_eq!(index.count(&fiber_x()).await.unwrap(), 2);
        let hits = index
            .search(&fiber_x(), "trekking poles", "en", 5)
            .await
            .unwrap();
        assert_eq!(hits.first().map(|h| h.number), Some(103));
    }

    #[tokio::test]
    async fn upserting_a_product_again_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let index = seeded(dir.path(), None).await;
        index
            .upsert(&suzume(), &[doc(202, "Yuzu body lotion 200ml")])
            .await
            .unwrap();
        assert_eq!(index.count(&suzume()).await.unwrap(), 3);
        let hits = index
            .search(&suzume(), "hand cream", "en", 5)
            .await
            .unwrap();
        assert!(hits.is_empty(), "{hits:?}");
        let hits = index
            .search(&suzume(), "body lotion", "en", 5)
            .await
            .unwrap();
        assert_eq!(ids(&hits), [Uuid::from_u128(202)]);
    }

    #[tokio::test]
    async fn hybrid_search_fuses_dense_hits_and_stays_within_the_brand() {
        let (_server, embedder) = embed::fake::start().await;
        let dir = tempfile::tempdir().unwrap();
        let index = seeded(dir.path(), Some(embedder.clone())).await;

        // Misspelt: no sparse token matches, the (trigram) dense vector does.
        let hits = index
            .search(&suzume(), "sakura blom shampo", "en", 3)
            .await
            .unwrap();
        assert_eq!(hits.first().map(|h| h.number), Some(201), "{hits:?}");

        let suzume_ids = product_ids(&suzume_docs());
        let hits = index
            .search(&fiber_x(), "Sakura Bloom shampoo 250ml", "en", 10)
            .await
            .unwrap();
        assert!(!hits.is_empty(), "dense always returns the brand's nearest");
        assert!(
            ids(&hits).iter().all(|id| !suzume_ids.contains(id)),
            "{hits:?}"
        );

        // The dense size persists with the shard.
        drop(index);
        let index = EdgeIndex::open(dir.path(), Some(embedder)).unwrap();
        assert_eq!(
            index.shard.get().unwrap().dense_size,
            Some(embed::fake::DIMENSIONS)
        );
        assert_eq!(index.count(&suzume()).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_sparse_only_index_stays_sparse_and_pays_no_embeddings() {
        let dir = tempfile::tempdir().unwrap();
        drop(seeded(dir.path(), None).await);
        let (server, embedder) = embed::fake::start().await;
        let index = EdgeIndex::open(dir.path(), Some(embedder)).unwrap();
        index
            .upsert(&suzume(), &[doc(204, "Hinoki bath salts")])
            .await
            .unwrap();
        let hits = index
            .search(&suzume(), "bath salts", "en", 3)
            .await
            .unwrap();
        assert_eq!(hits.first().map(|h| h.number), Some(204));
        assert!(server.received_requests().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failing_embeddings_api_leaves_sparse_search_working() {
        let dir = tempfile::tempdir().unwrap();
        let (_server, embedder) = embed::fake::start().await;
        drop(seeded(dir.path(), Some(embedder)).await);
        let down = Embedder::new(&crate::search::EmbeddingsSettings {
            base_url: "http://127.0.0.1:1/v1".into(),
            model: "fake-embed".into(),
            api_key: None,
        })
        .unwrap();
        let index = EdgeIndex::open(dir.path(), Some(down)).unwrap();
        let hits = index
            .search(&suzume(), "Sakura Bloom shampoo", "en", 3)
            .await
            .unwrap();
        assert_eq!(hits.first().map(|h| h.number), Some(201));
        let refused = index
            .upsert(&suzume(), &[doc(204, "Hinoki bath salts")])
            .await;
        assert!(
            matches!(refused, Err(SearchError::Embeddings(_))),
            "{refused:?}"
        );
    }

    #[test]
    fn a_filled_wal_is_pruned_and_later_updates_still_apply() {
        // Large dense vectors fill a 32 MiB WAL segment in a few writes.
        const SIZE: usize = 4096;
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join(WAL_DIR);
        let shard = Shard::create(dir.path(), Some(SIZE)).unwrap();
        let tenant = Uuid::from_u128(7);
        let docs: Vec<ProductDoc> = (0..100).map(|n| doc(n, &format!("item {n}"))).collect();
        // Values that need full f32 precision (CBOR stores 1.0 or 0.5 in 3 bytes).
        let vector = |seed: usize| -> Vec<f32> {
            (0..SIZE)
                .map(|i| ((i + seed) as f32 * 0.618_034).fract())
                .collect()
        };
        // About 2 MiB each: 80 MiB, so two closed segments, so at least one pruning.
        for write in 0..40 {
            let dense = vec![vector(write); docs.len()];
            shard.upsert(tenant, &docs, Some(dense)).unwrap();
            assert!(closed_wal_segments(&wal).len() <= 1);
        }
        let closed = closed_wal_segments(&wal);
        assert_eq!(closed.len(), 1);
        // Closed segments are contiguous: one starting past the first operations means the
        // older one was removed.
        assert!(closed[0].0 > 1, "{closed:?}");
        let (allocated, _) = disk(&wal);
        assert!(allocated <= 96 << 20, "{allocated} bytes of WAL");

        // Updates of existing points still apply, before and after a reopen.
        let mut renamed = docs[..1].to_vec();
        renamed[0].text = "renamed lantern".into();
        shard
            .upsert(tenant, &renamed, Some(vec![vec![0.5; SIZE]]))
            .unwrap();
        drop(shard);
        let shard = Shard::load(dir.path()).unwrap();
        assert_eq!(shard.count(tenant).unwrap(), 100);
        let terms = sparse::query_vector("lantern", "en");
        let (hits, _) = shard.search(tenant, "en", &terms, None, 5).unwrap();
        assert_eq!(ids(&hits), [docs[0].product_id]);
        shard.delete(tenant, Some(&[docs[1].product_id])).unwrap();
        assert_eq!(shard.count(tenant).unwrap(), 99);
        shard.delete(tenant, None).unwrap();
        assert_eq!(shard.count(tenant).unwrap(), 0);
    }

    // ---- Layout figures: `cargo test --lib -- --ignored --nocapture --test-threads=1
    //      search::edge::tests::layout_figures` ----

    const FIGURE_PRODUCTS: usize = 200;
    const FIGURE_SEARCHES: usize = 300;

    /// A number from `/proc/self/status` (`Threads`, `VmRSS` in kB).
    fn status(field: &str) -> usize {
        fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|n| n.trim().trim_end_matches(" kB").parse().ok())
            .unwrap()
    }

    fn threads() -> usize {
        status("Threads")
    }

    /// (open file descriptors, memory mappings) of this process.
    fn handles() -> (usize, usize) {
        let fds = fs::read_dir("/proc/self/fd").unwrap().count();
        let maps = fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .count();
        (fds, maps)
    }

    /// (allocated bytes, apparent bytes) under `path`.
    fn disk(path: &Path) -> (u64, u64) {
        use std::os::unix::fs::MetadataExt;
        let mut total = (0, 0);
        for entry in fs::read_dir(path).unwrap().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                let (a, b) = disk(&entry.path());
                total.0 += a;
                total.1 += b;
            } else {
                total.0 += meta.blocks() * 512;
                total.1 += meta.len();
            }
        }
        total
    }

    const WORDS: &[&str] = &[
        "shampoo",
        "lavender",
        "cream",
        "yuzu",
        "matcha",
        "mask",
        "shoes",
        "running",
        "merino",
        "jacket",
        "waterproof",
        "cotton",
        "linen",
        "shirt",
        "blue",
        "black",
        "red",
        "green",
        "size",
        "small",
        "large",
        "organic",
        "vegan",
        "travel",
        "gift",
        "set",
        "bottle",
        "soap",
        "candle",
        "cedar",
        "rose",
        "mint",
        "tea",
        "ceramic",
        "mug",
        "bag",
        "leather",
        "wallet",
    ];

    fn product_text(brand: usize, n: usize) -> String {
        let mut words: Vec<&str> = (0..12)
            .map(|i| WORDS[(brand * 7 + n * 13 + i * 5 + i * i) % WORDS.len()])
            .collect();
        let name = format!("Brand{brand} item{n}");
        words.push(&name);
        words.join(" ")
    }

    fn figure_docs(brand: usize) -> Vec<ProductDoc> {
        (0..FIGURE_PRODUCTS)
            .map(|n| ProductDoc {
                product_id: Uuid::from_u128((brand as u128) << 32 | n as u128),
                number: n as i32,
                text: product_text(brand, n),
                ..ProductDoc::default()
            })
            .collect()
    }

    fn search_latency(shards: &[(usize, &Shard)]) -> f64 {
        let started = Instant::now();
        for i in 0..FIGURE_SEARCHES {
            let (brand, shard) = shards[i % shards.len()];
            let terms = sparse::query_vector(WORDS[i % WORDS.len()], "en");
            let (hits, _) = shard
                .search(Uuid::from_u128(brand as u128 + 1), "en", &terms, None, 20)
                .unwrap();
            assert!(hits.len() <= 20);
        }
        started.elapsed().as_secs_f64() * 1000.0 / FIGURE_SEARCHES as f64
    }

    fn figures(brands: usize, per_brand: bool) {
        let dir = tempfile::tempdir().unwrap();
        let before = threads();
        let (fds_before, maps_before) = handles();
        let rss_before = status("VmRSS");
        let started = Instant::now();
        let shards: Vec<Shard> = if per_brand {
            (0..brands)
                .map(|b| {
                    let shard = Shard::create(&dir.path().join(b.to_string()), None).unwrap();
                    shard
                        .upsert(Uuid::from_u128(b as u128 + 1), &figure_docs(b), None)
                        .unwrap();
                    shard
                })
                .collect()
        } else {
            let shard = Shard::create(&dir.path().join("shared"), None).unwrap();
            for b in 0..brands {
                shard
                    .upsert(Uuid::from_u128(b as u128 + 1), &figure_docs(b), None)
                    .unwrap();
            }
            vec![shard]
        };
        let build_ms = started.elapsed().as_millis();
        let threads_open = threads() - before;
        drop(shards);
        let (allocated, apparent) = disk(dir.path());

        let started = Instant::now();
        let shards: Vec<Shard> = if per_brand {
            (0..brands)
                .map(|b| Shard::load(&dir.path().join(b.to_string())).unwrap())
                .collect()
        } else {
            vec![Shard::load(&dir.path().join("shared")).unwrap()]
        };
        let open_ms = started.elapsed().as_secs_f64() * 1000.0;
        let threads_reopened = threads() - before;
        let (fds, maps) = handles();
        let rss_mib = (status("VmRSS") as f64 - rss_before as f64) / 1024.0;
        let by_brand: Vec<(usize, &Shard)> = (0..brands)
            .map(|b| (b, if per_brand { &shards[b] } else { &shards[0] }))
            .collect();
        let search_ms = search_latency(&by_brand);
        let (allocated_reopened, _) = disk(dir.path());
        println!(
            "{brands:>3} brands {:>9}: +{threads_open} threads (+{threads_reopened} after reopen), \
             disk {:.1} MiB allocated / {:.1} MiB apparent ({:.1} MiB after reopen), \
             build {build_ms} ms, open {open_ms:.1} ms, search {search_ms:.2} ms, \
             +{} fds, +{} mappings, RSS +{rss_mib:.1} MiB",
            if per_brand { "per-brand" } else { "shared" },
            allocated as f64 / 1048576.0,
            apparent as f64 / 1048576.0,
            allocated_reopened as f64 / 1048576.0,
            fds - fds_before,
            maps - maps_before,
        );
    }

    #[test]
    #[ignore = "measurement, run by hand"]
    fn layout_figures() {
        for brands in [3, 50] {
            figures(brands, true);
            figures(brands, false);
        }
    }
}
