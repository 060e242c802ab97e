//! The server backend: a Qdrant server or cluster over gRPC (`qdrant-client`), for when one
//! machine is not enough.
//!
//! One collection (`products` by default) holds every brand's products: a sparse vector `bm25`
//! with Qdrant's IDF modifier, a `dense` vector (cosine) when an [`Embedder`] is configured,
//! and a keyword payload index on `tenant_id` marked `is_tenant`, so Qdrant co-locates each
//! brand's points and plans a brand-filtered search as a small one. The collection and the
//! index are created on first use if missing.
//!
//! Brand isolation is built here, in pure functions that the tests inspect: every upsert
//! writes the scope's `tenant_id` into each point's payload (and only updates an existing
//! point whose `tenant_id` matches), and every query, count and delete carries a `must`
//! condition on `tenant_id` from the scope. Point ids are [`super::point_id`] (UUIDv5 of
//! brand and product) for a product's own text and [`super::locale_point_id`] for each
//! translation; re-upserting a product deletes its points (by brand and product) and writes
//! them again, so a locale it lost loses its point.
//!
//! Searches send the sparse and dense queries in one `query_batch` call, each twice (the
//! detected language's points, then every point: [`locale_first`]), and fuse them here with
//! [`rrf`], as the embedded backend does. The dense size is fixed when the collection is
//! created (by the first embeddings upserted); a sparse-only collection stays sparse-only.
//! Changing either means dropping the collection and reindexing every brand.

use qdrant_client::{
    Payload, Qdrant,
    qdrant::{
        Condition, CountPoints, CountPointsBuilder, CreateCollection, CreateCollectionBuilder,
        CreateFieldIndexCollection, CreateFieldIndexCollectionBuilder, DeletePoints,
        DeletePointsBuilder, Distance, FieldType, Filter, KeywordIndexParamsBuilder, Modifier,
        NamedVectors, PayloadIncludeSelector, PointId, PointStruct, QueryBatchPoints,
        QueryBatchPointsBuilder, QueryPoints, QueryPointsBuilder, ScoredPoint,
        SparseVectorParamsBuilder, SparseVectorsConfigBuilder, UpsertPoints, UpsertPointsBuilder,
        Vector, VectorInput, VectorParamsBuilder, VectorsConfigBuilder, value::Kind,
        vectors_config::Config,
    },
};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::{
    AVG_DOC_LEN, DENSE_VECTOR, Embedder, Hit, INDEX_LANGUAGES, LANG_FIELD, NUMBER_FIELD, OWN_FIELD,
    PRODUCT_FIELD, ProductDoc, RRF_K, SPARSE_VECTOR, SearchError, TENANT_FIELD, VectorIndex,
    best_per_product, fusion_candidates, locale_first, rrf, sparse,
};
use crate::scope::TenantScope;

/// Products per upsert request.
const UPSERT_CHUNK: usize = 256;

/// What the collection was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    dense_size: Option<u64>,
}

/// A brand-scoped index in a Qdrant server collection.
pub struct QdrantServerIndex {
    client: Qdrant,
    collection: String,
    embedder: Option<Embedder>,
    /// Known once the collection exists (found or created).
    shape: OnceCell<Shape>,
}

impl QdrantServerIndex {
    /// A client for the gRPC `url` (e.g. `http://qdrant:6334`). Connects lazily: nothing is
    /// sent until the first call.
    pub fn new(
        url: &str,
        collection: &str,
        embedder: Option<Embedder>,
    ) -> Result<Self, SearchError> {
        let client = Qdrant::from_url(url)
            .skip_compatibility_check()
            .build()
            .map_err(backend)?;
        Ok(Self {
            client,
            collection: collection.to_owned(),
            embedder,
            shape: OnceCell::new(),
        })
    }

    /// The collection's shape if it exists (not cached while it does not).
    async fn existing_shape(&self) -> Result<Option<Shape>, SearchError> {
        if let Some(shape) = self.shape.get() {
            return Ok(Some(*shape));
        }
        if !self.collection_exists().await? {
            return Ok(None);
        }
        let shape = self.shape.get_or_try_init(|| self.read_shape()).await?;
        Ok(Some(*shape))
    }

    /// The collection's shape, creating it (with `dense_size`) and its tenant index if missing.
    async fn ensure_collection(&self, dense_size: Option<u64>) -> Result<Shape, SearchError> {
        let shape = self
            .shape
            .get_or_try_init(|| async {
                if !self.collection_exists().await? {
                    let created = self
                        .client
                        .create_collection(create_collection_request(&self.collection, dense_size))
                        .await;
                    // Another instance may have created it meanwhile: then read it.
                    if let Err(err) = created
                        && !self.collection_exists().await?
                    {
                        return Err(backend(err));
                    }
                }
                // Also creates the tenant index.
                self.read_shape().await
            })
            .await?;
        Ok(*shape)
    }

    async fn collection_exists(&self) -> Result<bool, SearchError> {
        self.client
            .collection_exists(self.collection.as_str())
            .await
            .map_err(backend)
    }

    /// Reads the dense size and makes sure the tenant index exists (a collection made by
    /// someone else may lack it).
    async fn read_shape(&self) -> Result<Shape, SearchError> {
        let info = self
            .client
            .collection_info(self.collection.as_str())
            .await
            .map_err(backend)?
            .result
            .ok_or_else(|| SearchError::Backend("collection info missing".into()))?;
        if !info.payload_schema.contains_key(TENANT_FIELD) {
            self.client
                .create_field_index(tenant_index_request(&self.collection))
                .await
                .map_err(backend)?;
        }
        let dense_size = info
            .config
            .and_then(|c| c.params)
            .and_then(|p| p.vectors_config)
            .and_then(|v| v.config)
            .and_then(|config| match config {
                Config::ParamsMap(map) => map.map.get(DENSE_VECTOR).map(|p| p.size),
                Config::Params(_) => None,
            });
        Ok(Shape { dense_size })
    }
}

#[async_trait::async_trait]
impl VectorIndex for QdrantServerIndex {
    #[tracing::instrument(name = "search.upsert", skip_all, fields(tenant.id = %scope.tenant_id(), search.docs = docs.len()))]
    async fn upsert(&self, scope: &TenantScope, docs: &[ProductDoc]) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        // A collection without a dense vector cannot store embeddings: do not pay for them.
        let sparse_only = self.shape.get().is_some_and(|s| s.dense_size.is_none());
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
        let wanted = dense
            .as_ref()
            .and_then(|v| v.first())
            .map(|v| v.len() as u64);
        let shape = self.ensure_collection(wanted).await?;
        let dense = match (shape.dense_size, wanted) {
            (Some(have), Some(got)) if have != got => {
                return Err(SearchError::Embeddings(format!(
                    "the model returns {got} dimensions but collection {} has {have}: drop it \
                     and reindex every brand",
                    self.collection
                )));
            }
            (Some(_), Some(_)) => dense,
            _ => None,
        };
        // Bounded requests (gRPC messages have a size limit).
        let mut start = 0;
        for chunk in docs.chunks(UPSERT_CHUNK) {
            let points: usize = chunk.iter().map(|d| d.points(tenant).len()).sum();
            let vectors = dense
                .as_deref()
                .map(|d| &d[start.min(d.len())..(start + points).min(d.len())]);
            start += points;
            // The products' old points first: a locale a product lost loses its point.
            let ids: Vec<Uuid> = chunk.iter().map(|d| d.product_id).collect();
            let delete = delete_request(&self.collection, tenant, Some(&ids));
            self.client.delete_points(delete).await.map_err(backend)?;
            let request = upsert_request(&self.collection, tenant, chunk, vectors);
            self.client.upsert_points(request).await.map_err(backend)?;
        }
        Ok(())
    }

    async fn delete(&self, scope: &TenantScope, product_ids: &[Uuid]) -> Result<(), SearchError> {
        if product_ids.is_empty() || self.existing_shape().await?.is_none() {
            return Ok(());
        }
        let request = delete_request(&self.collection, scope.tenant_id(), Some(product_ids));
        self.client.delete_points(request).await.map_err(backend)?;
        Ok(())
    }

    #[tracing::instrument(name = "search.clear", skip_all, fields(tenant.id = %scope.tenant_id()))]
    async fn clear(&self, scope: &TenantScope) -> Result<(), SearchError> {
        if self.existing_shape().await?.is_none() {
            return Ok(());
        }
        let request = delete_request(&self.collection, scope.tenant_id(), None);
        self.client.delete_points(request).await.map_err(backend)?;
        Ok(())
    }

    #[tracing::instrument(name = "search.query", skip_all, fields(tenant.id = %scope.tenant_id()))]
    async fn search(
        &self,
        scope: &TenantScope,
        query: &str,
        lang: &str,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let Some(shape) = self.existing_shape().await? else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let dense = match (&self.embedder, shape.dense_size) {
            (Some(embedder), Some(_)) => match embedder.embed_one(query).await {
                Ok(vector) => Some(vector),
                Err(err) => {
                    tracing::warn!(error = %err, "query embedding failed: searching sparse only");
                    None
                }
            },
            _ => None,
        };
        let terms = super::query_sparse(query, lang);
        let candidates = fusion_candidates(limit);
        let Some(request) = search_request(
            &self.collection,
            scope.tenant_id(),
            &super::language_of(lang),
            &terms,
            dense,
            candidates,
        ) else {
            return Ok(Vec::new());
        };
        let response = self.client.query_batch(request).await.map_err(backend)?;
        let mut results = response
            .result
            .into_iter()
            .map(|batch| best_per_product(batch.result.into_iter().filter_map(hit).collect()));
        // The queries come in pairs: the detected language's points, then every point.
        let mut rankings: Vec<Vec<Hit>> = Vec::new();
        while let (Some(in_lang), Some(all)) = (results.next(), results.next()) {
            rankings.push(locale_first(in_lang, all, candidates));
        }
        let sources = rankings.len();
        Ok(if sources > 1 {
            rrf(&rankings, RRF_K, limit)
        } else {
            let mut hits = rankings.into_iter().next().unwrap_or_default();
            hits.truncate(limit);
            hits
        })
    }

    async fn count(&self, scope: &TenantScope) -> Result<usize, SearchError> {
        if self.existing_shape().await?.is_none() {
            return Ok(0);
        }
        let response = self
            .client
            .count(count_request(&self.collection, scope.tenant_id()))
            .await
            .map_err(backend)?;
        let count = response.result.map_or(0, |r| r.count);
        usize::try_from(count).map_err(backend)
    }
}

/// `tenant_id = tenant`: the condition on every query, count and delete, and the guard on
/// every upsert.
fn tenant_filter(tenant: Uuid) -> Filter {
    Filter::must([Condition::matches(TENANT_FIELD, tenant.to_string())])
}

/// The collection: sparse `bm25` with the IDF modifier, and `dense` (cosine) if sized.
fn create_collection_request(collection: &str, dense_size: Option<u64>) -> CreateCollection {
    let mut sparse_config = SparseVectorsConfigBuilder::default();
    sparse_config.add_named_vector_params(
        SPARSE_VECTOR,
        SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
    );
    let mut builder = CreateCollectionBuilder::new(collection).sparse_vectors_config(sparse_config);
    if let Some(size) = dense_size {
        let mut dense_config = VectorsConfigBuilder::default();
        dense_config.add_named_vector_params(
            DENSE_VECTOR,
            VectorParamsBuilder::new(size, Distance::Cosine),
        );
        builder = builder.vectors_config(dense_config);
    }
    builder.build()
}

/// The keyword index on `tenant_id`, marked as the tenant key.
fn tenant_index_request(collection: &str) -> CreateFieldIndexCollection {
    CreateFieldIndexCollectionBuilder::new(collection, TENANT_FIELD, FieldType::Keyword)
        .field_index_params(KeywordIndexParamsBuilder::default().is_tenant(true))
        .wait(true)
        .build()
}

/// Points for the tenant's products, one per locale ([`ProductDoc::points`]), each carrying
/// `tenant_id`, its product, `lang` and `own`; `dense` (one vector per point, in order) when
/// the collection has dense vectors. Only an existing point of the same tenant may be
/// overwritten (`update_filter`), on top of ids that already differ per tenant.
fn upsert_request(
    collection: &str,
    tenant: Uuid,
    docs: &[ProductDoc],
    dense: Option<&[Vec<f32>]>,
) -> UpsertPoints {
    let points: Vec<PointStruct> = docs
        .iter()
        .flat_map(|doc| doc.points(tenant).into_iter().map(move |p| (doc, p)))
        .enumerate()
        .map(|(i, (doc, point))| {
            let terms = sparse::document_vector_multi(point.text, INDEX_LANGUAGES, AVG_DOC_LEN);
            let mut vectors = NamedVectors::default().add_vector(
                SPARSE_VECTOR,
                Vector::new_sparse(terms.indices, terms.values),
            );
            if let Some(vector) = dense.and_then(|d| d.get(i)) {
                vectors = vectors.add_vector(DENSE_VECTOR, Vector::new_dense(vector.clone()));
            }
            let mut payload = Payload::new();
            payload.insert(TENANT_FIELD, tenant.to_string());
            payload.insert(PRODUCT_FIELD, doc.product_id.to_string());
            payload.insert(NUMBER_FIELD, i64::from(doc.number));
            payload.insert(LANG_FIELD, point.lang);
            payload.insert(OWN_FIELD, point.own);
            PointStruct::new(PointId::from(point.id.to_string()), vectors, payload)
        })
        .collect();
    UpsertPointsBuilder::new(collection, points)
        .update_filter(tenant_filter(tenant))
        .wait(true)
        .build()
}

/// Deletes the tenant's given products (every locale's point), or all of them: always by a
/// filter on `tenant_id` (with the products as a second condition, any of them).
fn delete_request(collection: &str, tenant: Uuid, product_ids: Option<&[Uuid]>) -> DeletePoints {
    let mut filter = tenant_filter(tenant);
    if let Some(ids) = product_ids {
        filter.should = ids
            .iter()
            .map(|id| Condition::matches(PRODUCT_FIELD, id.to_string()))
            .collect();
    }
    DeletePointsBuilder::new(collection)
        .points(filter)
        .wait(true)
        .build()
}

/// The exact number of the tenant's products (their own-text points).
fn count_request(collection: &str, tenant: Uuid) -> CountPoints {
    let mut filter = tenant_filter(tenant);
    filter.must.push(Condition::matches(OWN_FIELD, true));
    CountPointsBuilder::new(collection)
        .filter(filter)
        .exact(true)
        .build()
}

/// The sparse query and, with a query vector, the dense one, each twice (on the points of
/// language `lang`, then on every point), all filtered to the tenant, in one batch. `None`
/// when there is nothing to search with.
fn search_request(
    collection: &str,
    tenant: Uuid,
    lang: &str,
    terms: &sparse::SparseVector,
    dense: Option<Vec<f32>>,
    limit: usize,
) -> Option<QueryBatchPoints> {
    let mut queries = Vec::new();
    let mut pair = |input: VectorInput, using: &str| {
        queries.push(nearest(
            collection,
            tenant,
            Some(lang),
            input.clone(),
            using,
            limit,
        ));
        queries.push(nearest(collection, tenant, None, input, using, limit));
    };
    if !terms.is_empty() {
        pair(
            VectorInput::new_sparse(terms.indices.clone(), terms.values.clone()),
            SPARSE_VECTOR,
        );
    }
    if let Some(vector) = dense {
        pair(VectorInput::new_dense(vector), DENSE_VECTOR);
    }
    (!queries.is_empty()).then(|| QueryBatchPointsBuilder::new(collection, queries).build())
}

/// One ranking of the tenant's points (of language `lang` if given): the brand filter is
/// always there.
fn nearest(
    collection: &str,
    tenant: Uuid,
    lang: Option<&str>,
    input: VectorInput,
    using: &str,
    limit: usize,
) -> QueryPoints {
    let mut filter = tenant_filter(tenant);
    if let Some(lang) = lang {
        filter
            .must
            .push(Condition::matches(LANG_FIELD, lang.to_owned()));
    }
    QueryPointsBuilder::new(collection)
        .query(input)
        .using(using)
        .filter(filter)
        .limit(limit as u64)
        .with_payload(PayloadIncludeSelector {
            fields: vec![PRODUCT_FIELD.to_owned(), NUMBER_FIELD.to_owned()],
        })
        .build()
}

/// A hit from a point's `product_id` and `number` payload.
fn hit(point: ScoredPoint) -> Option<Hit> {
    let product_id = match point.payload.get(PRODUCT_FIELD)?.kind.as_ref()? {
        Kind::StringValue(s) => s.parse().ok()?,
        _ => return None,
    };
    let number = match point.payload.get(NUMBER_FIELD)?.kind.as_ref()? {
        Kind::IntegerValue(n) => i32::try_from(*n).ok()?,
        _ => return None,
    };
    Some(Hit {
        product_id,
        number,
        score: point.score,
    })
}

fn backend(err: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(format!("qdrant: {err}"))
}

#[cfg(test)]
mod tests {
    use qdrant_client::qdrant::{
        Value, condition::ConditionOneOf, r#match::MatchValue,
        points_selector::PointsSelectorOneOf, vector_input, vectors::VectorsOptions,
    };

    use super::*;

    const COLLECTION: &str = "products";

    fn brand_a() -> Uuid {
        Uuid::from_u128(0xA)
    }

    fn brand_b() -> Uuid {
        Uuid::from_u128(0xB)
    }

    /// Whether `filter` requires `tenant_id` = `tenant` at its top level.
    fn requires_tenant(filter: &Filter, tenant: Uuid) -> bool {
        filter.must.iter().any(|c| match &c.condition_one_of {
            Some(ConditionOneOf::Field(f)) => {
                f.key == TENANT_FIELD
                    && matches!(
                        f.r#match.as_ref().and_then(|m| m.match_value.as_ref()),
                        Some(MatchValue::Keyword(k)) if *k == tenant.to_string()
                    )
            }
            _ => false,
        })
    }

    fn doc(n: u128, text: &str) -> ProductDoc {
        ProductDoc {
            product_id: Uuid::from_u128(n),
            number: n as i32,
            text: text.into(),
            ..ProductDoc::default()
        }
    }

    /// The language the query is restricted to, if any.
    fn lang_of(filter: &Filter) -> Option<String> {
        filter.must.iter().find_map(|c| match &c.condition_one_of {
            Some(ConditionOneOf::Field(f)) if f.key == LANG_FIELD => {
                match f.r#match.as_ref().and_then(|m| m.match_value.as_ref()) {
                    Some(MatchValue::Keyword(k)) => Some(k.clone()),
                    _ => None,
                }
            }
            _ => None,
        })
    }

    #[test]
    fn every_query_of_a_search_is_filtered_to_the_scope_brand() {
        let terms = sparse::query_vector("lavender shampoo", "en");
        let request =
            search_request(COLLECTION, brand_a(), "es", &terms, Some(vec![0.1; 4]), 20).unwrap();
        assert_eq!(request.query_points.len(), 4);
        let usings: Vec<_> = request
            .query_points
            .iter()
            .map(|q| q.using.clone().unwrap())
            .collect();
        assert_eq!(
            usings,
            [SPARSE_VECTOR, SPARSE_VECTOR, DENSE_VECTOR, DENSE_VECTOR]
        );
        // Each ranking twice: the detected language's points, then every language's.
        let langs: Vec<_> = request
            .query_points
            .iter()
            .map(|q| lang_of(q.filter.as_ref().unwrap()))
            .collect();
        assert_eq!(langs, [Some("es".into()), None, Some("es".into()), None]);
        for query in &request.query_points {
            assert_eq!(query.collection_name, COLLECTION);
            assert_eq!(query.limit, Some(20));
            let filter = query.filter.as_ref().expect("a filter");
            assert!(requires_tenant(filter, brand_a()));
            assert!(!requires_tenant(filter, brand_b()));
        }
        let sparse_query = &request.query_points[0];
        match sparse_query.query.as_ref().and_then(|q| q.variant.as_ref()) {
            Some(qdrant_client::qdrant::query::Variant::Nearest(input)) => {
                assert!(matches!(
                    input.variant,
                    Some(vector_input::Variant::Sparse(ref s)) if s.indices == terms.indices
                ));
            }
            other => panic!("unexpected query {other:?}"),
        }
    }

    #[test]
    fn a_sparse_only_search_is_two_filtered_queries_and_nothing_to_search_is_none() {
        let terms = sparse::query_vector("shampoo", "en");
        let request = search_request(COLLECTION, brand_b(), "en", &terms, None, 20).unwrap();
        assert_eq!(request.query_points.len(), 2);
        for query in &request.query_points {
            assert!(requires_tenant(query.filter.as_ref().unwrap(), brand_b()));
        }
        let empty = sparse::query_vector("?!", "en");
        assert!(search_request(COLLECTION, brand_b(), "en", &empty, None, 20).is_none());
    }

    #[test]
    fn upserted_points_carry_the_scope_brand_and_stable_ids() {
        let docs = [doc(1, "Lavender shampoo 250ml"), doc(2, "Cedar soap")];
        let dense = vec![vec![0.5; 4], vec![0.25; 4]];
        let translated = ProductDoc {
            locale: "en".into(),
            translations: vec![("es-MX".into(), "Champú de lavanda".into())],
            ..doc(1, "Lavender shampoo 250ml")
        };
        let request = upsert_request(COLLECTION, brand_a(), &[translated], None);
        assert_eq!(request.points.len(), 2);
        let field = |p: &PointStruct, key: &str| p.payload.get(key).unwrap().kind.clone();
        assert_eq!(
            field(&request.points[1], LANG_FIELD),
            Some(Kind::StringValue("es".into()))
        );
        assert_eq!(
            field(&request.points[0], OWN_FIELD),
            Some(Kind::BoolValue(true))
        );
        assert_eq!(
            field(&request.points[1], OWN_FIELD),
            Some(Kind::BoolValue(false))
        );
        assert_eq!(
            request.points[1].id,
            Some(PointId::from(
                super::super::locale_point_id(brand_a(), docs[0].product_id, "es-MX").to_string()
            ))
        );
        let request = upsert_request(COLLECTION, brand_a(), &docs, Some(&dense));
        assert!(requires_tenant(
            request.update_filter.as_ref().unwrap(),
            brand_a()
        ));
        assert_eq!(request.points.len(), 2);
        for (point, doc) in request.points.iter().zip(&docs) {
            let tenant = point.payload.get(TENANT_FIELD).unwrap();
            assert_eq!(tenant.kind, Some(Kind::StringValue(brand_a().to_string())));
            assert_eq!(
                point.id,
                Some(PointId::from(
                    super::super::point_id(brand_a(), doc.product_id).to_string()
                ))
            );
            let hit = hit(ScoredPoint {
                payload: point.payload.clone(),
                score: 1.0,
                ..ScoredPoint::default()
            })
            .unwrap();
            assert_eq!((hit.product_id, hit.number), (doc.product_id, doc.number));
            match point
                .vectors
                .as_ref()
                .and_then(|v| v.vectors_options.as_ref())
            {
                Some(VectorsOptions::Vectors(named)) => {
                    assert!(named.vectors.contains_key(SPARSE_VECTOR));
                    assert!(named.vectors.contains_key(DENSE_VECTOR));
                }
                other => panic!("unexpected vectors {other:?}"),
            }
        }
        // The same product upserted again (or by a reindex) gets the same point id; another
        // brand's product with the same id does not.
        let again = upsert_request(COLLECTION, brand_a(), &docs[..1], None);
        assert_eq!(again.points[0].id, request.points[0].id);
        let other = upsert_request(COLLECTION, brand_b(), &docs[..1], None);
        assert_ne!(other.points[0].id, request.points[0].id);
        assert!(requires_tenant(
            other.update_filter.as_ref().unwrap(),
            brand_b()
        ));
    }

    fn delete_filter(request: &DeletePoints) -> &Filter {
        match request
            .points
            .as_ref()
            .and_then(|p| p.points_selector_one_of.as_ref())
        {
            Some(PointsSelectorOneOf::Filter(filter)) => filter,
            other => panic!("deletes must select by filter, got {other:?}"),
        }
    }

    #[test]
    fn deletes_and_clears_select_by_the_scope_brand() {
        let ids = [Uuid::from_u128(1), Uuid::from_u128(2)];
        let delete = delete_request(COLLECTION, brand_a(), Some(&ids));
        let filter = delete_filter(&delete);
        assert!(requires_tenant(filter, brand_a()));
        // Every locale's point of those products: any of the product ids, within the brand.
        let products: Vec<String> = filter
            .should
            .iter()
            .filter_map(|c| match &c.condition_one_of {
                Some(ConditionOneOf::Field(f)) if f.key == PRODUCT_FIELD => {
                    match f.r#match.as_ref().and_then(|m| m.match_value.as_ref()) {
                        Some(MatchValue::Keyword(k)) => Some(k.clone()),
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect();
        let expected: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        assert_eq!(products, expected);

        let clear = delete_request(COLLECTION, brand_b(), None);
        let filter = delete_filter(&clear);
        assert!(requires_tenant(filter, brand_b()));
        assert_eq!(filter.must.len(), 1);
    }

    #[test]
    fn counts_are_exact_and_filtered_to_the_scope_brand() {
        let request = count_request(COLLECTION, brand_a());
        assert_eq!(request.exact, Some(true));
        assert!(requires_tenant(request.filter.as_ref().unwrap(), brand_a()));
    }

    #[test]
    fn the_collection_has_an_idf_sparse_vector_and_a_tenant_index() {
        let sparse_only = create_collection_request(COLLECTION, None);
        assert_eq!(sparse_only.collection_name, COLLECTION);
        assert!(sparse_only.vectors_config.is_none());
        let sparse_params = &sparse_only.sparse_vectors_config.as_ref().unwrap().map[SPARSE_VECTOR];
        assert_eq!(sparse_params.modifier, Some(Modifier::Idf as i32));

        let hybrid = create_collection_request(COLLECTION, Some(768));
        match hybrid.vectors_config.and_then(|v| v.config) {
            Some(Config::ParamsMap(map)) => {
                assert_eq!(map.map[DENSE_VECTOR].size, 768);
                assert_eq!(map.map[DENSE_VECTOR].distance, Distance::Cosine as i32);
            }
            other => panic!("unexpected vectors config {other:?}"),
        }

        let index = tenant_index_request(COLLECTION);
        assert_eq!(index.field_name, TENANT_FIELD);
        assert_eq!(index.field_type, Some(FieldType::Keyword as i32));
        match index.field_index_params.and_then(|p| p.index_params) {
            Some(qdrant_client::qdrant::payload_index_params::IndexParams::KeywordIndexParams(
                k,
            )) => assert_eq!(k.is_tenant, Some(true)),
            other => panic!("unexpected index params {other:?}"),
        }
    }

    #[test]
    fn hits_without_the_expected_payload_are_skipped() {
        let mut payload = std::collections::HashMap::new();
        payload.insert(PRODUCT_FIELD.to_owned(), Value::from("not-a-uuid"));
        payload.insert(NUMBER_FIELD.to_owned(), Value::from(3_i64));
        assert!(
            hit(ScoredPoint {
                payload,
                ..ScoredPoint::default()
            })
            .is_none()
        );
    }

    #[tokio::test]
    async fn the_client_is_built_without_contacting_the_server() {
        let index = QdrantServerIndex::new("http://127.0.0.1:1", COLLECTION, None).unwrap();
        assert_eq!(index.collection, COLLECTION);
    }
}
