//! Dense embeddings for hybrid search, through an OpenAI-compatible `/embeddings` API
//! ([`crate::chat::llm::LlmClient::embed`]). Optional: without an [`Embedder`] the backends
//! index and search sparse vectors only.
//!
//! The vector size is whatever the model returns; the backends learn it from the first
//! embeddings they store and fix it in the index. Changing the model (or its dimensions) means
//! rebuilding the index: see the backends' docs.

use std::{fmt, time::Duration};

use secrecy::{ExposeSecret, SecretString};

use super::{EmbeddingsSettings, SearchError};
use crate::chat::llm::LlmClient;

/// How many texts one `/embeddings` request carries. Providers cap the batch (OpenAI: 2,048
/// inputs, and a token budget per request); product texts are short, so 64 stays far below.
const BATCH: usize = 64;

/// Embedding requests give up after this long; a reindex job retries.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Turns product texts and customer questions into dense vectors. Cheap to clone.
#[derive(Clone)]
pub struct Embedder {
    client: LlmClient,
    base_url: String,
    model: String,
    api_key: Option<SecretString>,
}

impl fmt::Debug for Embedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Embedder")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Embedder {
    /// An embedder with its own HTTP client. Fails only if the TLS backend cannot start.
    pub fn new(settings: &EmbeddingsSettings) -> Result<Self, SearchError> {
        let client = LlmClient::new(TIMEOUT).map_err(|e| SearchError::Embeddings(e.to_string()))?;
        Ok(Self::with_client(client, settings))
    }

    /// An embedder sharing an existing client (its timeout applies).
    pub fn with_client(client: LlmClient, settings: &EmbeddingsSettings) -> Self {
        Self {
            client,
            base_url: settings.base_url.clone(),
            model: settings.model.clone(),
            api_key: settings
                .api_key
                .as_deref()
                .filter(|k| !k.is_empty())
                .map(|k| SecretString::from(k.to_owned())),
        }
    }

    /// One vector per text, in order, all of the same non-zero length.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, SearchError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            let batch = self
                .client
                .embed(
                    &self.base_url,
                    self.api_key.as_ref().map(|k| k.expose_secret()),
                    &self.model,
                    chunk,
                )
                .await
                .map_err(|e| SearchError::Embeddings(e.to_string()))?;
            vectors.extend(batch);
        }
        if let Some(first) = vectors.first() {
            let size = first.len();
            if size == 0 || vectors.iter().any(|v| v.len() != size) {
                return Err(SearchError::Embeddings(
                    "the model returned empty or unequal vectors".into(),
                ));
            }
        }
        Ok(vectors)
    }

    /// The vector of one customer question.
    pub async fn embed_one(&self, text: &str) -> Result<Vec<f32>, SearchError> {
        self.embed(&[text.to_owned()])
            .await?
            .pop()
            .ok_or_else(|| SearchError::Embeddings("the model returned no vector".into()))
    }
}

/// A stand-in embeddings API for tests: a wiremock server whose `/embeddings` answers each
/// input with a small deterministic vector (character-trigram hashing), so texts sharing
/// words point the same way.
#[cfg(test)]
pub(crate) mod fake {
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

    use super::*;

    pub const DIMENSIONS: usize = 16;

    /// The fake vector of a text.
    pub fn vector(text: &str) -> Vec<f32> {
        let mut v = vec![0.0_f32; DIMENSIONS];
        let chars: Vec<char> = text.to_lowercase().chars().collect();
        for gram in chars.windows(3) {
            let s: String = gram.iter().collect();
            let slot = super::super::sparse::token_id(&s) as usize % DIMENSIONS;
            v[slot] += 1.0;
        }
        v[0] += 0.01; // never the zero vector
        v
    }

    struct Embeddings;

    impl Respond for Embeddings {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let data: Vec<serde_json::Value> = body["input"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, t)| serde_json::json!({"index": i, "embedding": vector(t.as_str().unwrap())}))
                .collect();
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "data": data }))
        }
    }

    /// Starts the fake API; keep the server alive as long as the embedder is used.
    pub async fn start() -> (MockServer, Embedder) {
        let server = MockServer::start().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/v1/embeddings"))
            .respond_with(Embeddings)
            .mount(&server)
            .await;
        let embedder = Embedder::new(&EmbeddingsSettings {
            base_url: format!("{}/v1", server.uri()),
            model: "fake-embed".into(),
            api_key: Some("sk-test".into()),
        })
        .unwrap();
        (server, embedder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn embeds_in_batches_and_keeps_the_order() {
        let (server, embedder) = fake::start().await;
        let texts: Vec<String> = (0..BATCH + 3).map(|i| format!("text number {i}")).collect();
        let vectors = embedder.embed(&texts).await.unwrap();
        assert_eq!(vectors.len(), texts.len());
        assert_eq!(vectors[66], fake::vector(&texts[66]));
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let embedder = Embedder::new(&EmbeddingsSettings {
            base_url: "http://localhost:1/v1".into(),
            model: "m".into(),
            api_key: Some("sk-secret".into()),
        })
        .unwrap();
        assert!(!format!("{embedder:?}").contains("sk-secret"));
    }
}
