//! OpenAI-compatible chat completions and embeddings: the wire format OpenAI, vLLM, Ollama,
//! LiteLLM and most hosted providers all speak, so a brand's model is a base URL, a key and a
//! model name.
//!
//! Failures are classified for the job queue that calls these, like the Graph client's:
//! [`LlmError::RateLimited`] and [`LlmError::Transient`] are retried, [`LlmError::Permanent`]
//! is not (a bad key, an unknown model, a request the provider refuses). Errors never contain
//! the API key, the prompt or the inputs.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::http;

/// Who said a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One message of an OpenAI-style chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    /// A message from `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// Why a model call failed, and so what the job queue does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// HTTP 429 (other than an exhausted quota): retry later, with a longer backoff.
    #[error("rate limited by the model provider")]
    RateLimited { retry_after: Option<Duration> },
    /// 408, 5xx, a timeout, no connection: retry.
    #[error("model provider unavailable: {reason}")]
    Transient { reason: String },
    /// Any other refusal (bad key, unknown model, exhausted quota, unusable answer): do not
    /// retry; keep the error.
    #[error("model request refused (HTTP {status}): {message}")]
    Permanent { status: u16, message: String },
}

impl LlmError {
    /// Whether a later retry may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::Permanent { .. })
    }
}

/// A client for OpenAI-compatible APIs. Cheap to clone; share one.
#[derive(Debug, Clone)]
pub struct LlmClient {
    http: reqwest::Client,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Serialize)]
struct EmbeddingRequest<'a> {
    model: &'a str,
    input: &'a [String],
}

#[derive(Deserialize)]
struct EmbeddingResponse {
    #[serde(default)]
    data: Vec<Embedding>,
}

#[derive(Deserialize)]
struct Embedding {
    #[serde(default)]
    index: Option<usize>,
    embedding: Vec<f32>,
}

/// `{"error": {"message": ..., "type": ..., "code": ...}}`, OpenAI's error body.
#[derive(Deserialize)]
struct ErrorBody {
    error: ProviderError,
}

#[derive(Deserialize)]
struct ProviderError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
}

impl LlmClient {
    /// A client whose every request gives up after `timeout` (LLM answers take seconds: allow
    /// 30 to 60). Fails only if the TLS backend cannot start (at start-up).
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: http::client(timeout)?,
        })
    }

    /// `POST {base_url}/chat/completions`; the answer is `choices[0].message.content`.
    /// `base_url` includes the version path (`https://api.openai.com/v1`); `api_key` is sent as
    /// a bearer token when given (local servers often need none).
    pub async fn chat(
        &self,
        base_url: &str,
        api_key: Option<&str>,
        model: &str,
        messages: &[ChatMessage],
    ) -> Result<String, LlmError> {
        let body = ChatRequest { model, messages };
        let (status, bytes) = self
            .post(base_url, "chat/completions", api_key, &body)
            .await?;
        let parsed: ChatResponse = serde_json::from_slice(&bytes)
            .map_err(|_| permanent(status, "the completion is not the expected JSON"))?;
        parsed
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| permanent(status, "the completion has no text"))
    }

    /// `POST {base_url}/embeddings`; one vector per input, in input order. No inputs, no call.
    pub async fn embed(
        &self,
        base_url: &str,
        api_key: Option<&str>,
        model: &str,
        inputs: &[String],
    ) -> Result<Vec<Vec<f32>>, LlmError> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let body = EmbeddingRequest {
            model,
            input: inputs,
        };
        let (status, bytes) = self.post(base_url, "embeddings", api_key, &body).await?;
        let parsed: EmbeddingResponse = serde_json::from_slice(&bytes)
            .map_err(|_| permanent(status, "the embeddings are not the expected JSON"))?;
        if parsed.data.len() != inputs.len() {
            return Err(permanent(
                status,
                "the number of embeddings differs from the number of inputs",
            ));
        }
        // The API returns `index` per item; order by it rather than trusting the array order.
        let mut slots: Vec<Option<Vec<f32>>> = vec![None; inputs.len()];
        for (position, item) in parsed.data.into_iter().enumerate() {
            let index = item.index.unwrap_or(position);
            match slots.get_mut(index) {
                Some(slot @ None) => *slot = Some(item.embedding),
                _ => return Err(permanent(status, "the embedding indices are inconsistent")),
            }
        }
        Ok(slots.into_iter().flatten().collect())
    }

    /// [`LlmClient::post_once`], its outcome counted for `/metrics` (by API: `embeddings` or
    /// chat completions).
    async fn post<T: Serialize>(
        &self,
        base_url: &str,
        path: &str,
        api_key: Option<&str>,
        body: &T,
    ) -> Result<(u16, bytes::Bytes), LlmError> {
        use crate::metrics::{Outcome, Service};
        let result = self.post_once(base_url, path, api_key, body).await;
        let service = if path == "embeddings" {
            Service::Embeddings
        } else {
            Service::Llm
        };
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(e) if e.is_retryable() => Outcome::Transient,
            Err(_) => Outcome::Permanent,
        };
        crate::metrics::outbound(service, outcome);
        result
    }

    /// Sends one JSON POST; a 2xx gives its status and body, anything else a classified error.
    async fn post_once<T: Serialize>(
        &self,
        base_url: &str,
        path: &str,
        api_key: Option<&str>,
        body: &T,
    ) -> Result<(u16, bytes::Bytes), LlmError> {
        let url = format!("{}/{path}", base_url.trim_end_matches('/'));
        let mut request = self.http.post(url).json(body);
        if let Some(key) = api_key.filter(|k| !k.is_empty()) {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| LlmError::Transient {
            reason: http::transport_reason(&e),
        })?;
        let status = response.status();
        let retry_after = http::retry_after(response.headers());
        let bytes = response.bytes().await.map_err(|e| LlmError::Transient {
            reason: http::transport_reason(&e),
        })?;
        if status.is_success() {
            Ok((status.as_u16(), bytes))
        } else {
            Err(classify(status.as_u16(), retry_after, &bytes))
        }
    }
}

fn permanent(status: u16, message: &str) -> LlmError {
    LlmError::Permanent {
        status,
        message: message.to_owned(),
    }
}

/// Classifies a non-2xx response.
fn classify(status: u16, retry_after: Option<Duration>, body: &[u8]) -> LlmError {
    let provider = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| b.error);
    let message = provider
        .as_ref()
        .and_then(|e| e.message.as_deref())
        .map(http::truncate)
        .unwrap_or_else(|| format!("HTTP {status}"));
    // OpenAI answers 429 both for "slow down" and for "you have no credit left"; only the
    // first passes with time.
    let quota_exhausted = provider.as_ref().is_some_and(|e| {
        let code = e.code.as_ref().and_then(|c| c.as_str());
        code == Some("insufficient_quota") || e.kind.as_deref() == Some("insufficient_quota")
    });
    match status {
        429 if !quota_exhausted => LlmError::RateLimited { retry_after },
        408 | 500..=599 => LlmError::Transient {
            reason: format!("HTTP {status}: {message}"),
        },
        _ => LlmError::Permanent { status, message },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn client() -> LlmClient {
        LlmClient::new(Duration::from_secs(5)).unwrap()
    }

    #[tokio::test]
    async fn chat_posts_the_messages_and_returns_the_first_choice() {
        let server = MockServer::start().await;
        let messages = vec![
            ChatMessage::new(Role::System, "You are helpful."),
            ChatMessage::new(Role::User, "hola"),
        ];
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", "Bearer sk-test"))
            .and(body_json(json!({
                "model": "gpt-test",
                "messages": [
                    {"role": "system", "content": "You are helpful."},
                    {"role": "user", "content": "hola"}
                ]
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "chatcmpl-1", "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": "¡Hola!"}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
            })))
            .expect(1)
            .mount(&server)
            .await;

        let base = format!("{}/v1/", server.uri());
        let answer = client()
            .chat(&base, Some("sk-test"), "gpt-test", &messages)
            .await
            .unwrap();
        assert_eq!(answer, "¡Hola!");
    }

    #[tokio::test]
    async fn chat_without_a_key_sends_no_authorization() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "choices": [{"message": {"role": "assistant", "content": "ok"}}]
            })))
            .mount(&server)
            .await;
        let answer = client()
            .chat(
                &server.uri(),
                None,
                "local",
                &[ChatMessage::new(Role::User, "hi")],
            )
            .await
            .unwrap();
        assert_eq!(answer, "ok");
        let requests = server.received_requests().await.unwrap();
        assert!(requests[0].headers.get("authorization").is_none());
    }

    #[tokio::test]
    async fn embed_returns_vectors_in_input_order() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/embeddings"))
            .and(header("authorization", "Bearer sk-test"))
            .and(body_json(json!({"model": "emb", "input": ["uno", "dos"]})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "object": "list", "model": "emb",
                "data": [
                    {"object": "embedding", "index": 1, "embedding": [0.0, 1.0]},
                    {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]}
                ]
            })))
            .expect(1)
            .mount(&server)
            .await;
        let base = format!("{}/v1", server.uri());
        let inputs = vec!["uno".to_owned(), "dos".to_owned()];
        let vectors = client()
            .embed(&base, Some("sk-test"), "emb", &inputs)
            .await
            .unwrap();
        assert_eq!(vectors, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
        assert_eq!(client().embed(&base, None, "emb", &[]).await, Ok(vec![]));
    }

    #[tokio::test]
    async fn errors_are_classified_for_retries() {
        let server = MockServer::start().await;
        let cases: [(&str, ResponseTemplate); 6] = [
            (
                "rate",
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "7")
                    .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})),
            ),
            (
                "quota",
                ResponseTemplate::new(429).set_body_json(json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}})),
            ),
            ("down", ResponseTemplate::new(503).set_body_string("upstream down")),
            (
                "key",
                ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}})),
            ),
            (
                "empty",
                ResponseTemplate::new(200).set_body_json(json!({"choices": []})),
            ),
            (
                "slow",
                ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
            ),
        ];
        for (name, response) in cases {
            Mock::given(path(format!("/{name}/chat/completions")))
                .respond_with(response)
                .mount(&server)
                .await;
        }
        let quick = LlmClient::new(Duration::from_millis(500)).unwrap();
        let call = |name: &str| {
            let base = format!("{}/{name}", server.uri());
            let quick = quick.clone();
            async move {
                quick
                    .chat(
                        &base,
                        Some("sk-secret-key"),
                        "m",
                        &[ChatMessage::new(Role::User, "private words")],
                    )
                    .await
                    .unwrap_err()
            }
        };

        assert_eq!(
            call("rate").await,
            LlmError::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        let quota = call("quota").await;
        assert!(
            matches!(quota, LlmError::Permanent { status: 429, .. }),
            "{quota:?}"
        );
        assert!(matches!(call("down").await, LlmError::Transient { .. }));
        let key = call("key").await;
        assert_eq!(
            key,
            LlmError::Permanent {
                status: 401,
                message: "Incorrect API key provided".into()
            }
        );
        assert!(matches!(
            call("empty").await,
            LlmError::Permanent { status: 200, .. }
        ));
        let slow = call("slow").await;
        assert!(
            matches!(&slow, LlmError::Transient { reason } if reason.starts_with("timed out")),
            "{slow:?}"
        );
        for err in [quota, key, slow] {
            let text = format!("{err} {err:?}");
            assert!(
                !text.contains("sk-secret-key") && !text.contains("private words"),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_transient() {
        // Bind then drop a listener: nothing listens on that port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = client()
            .embed(
                &format!("http://127.0.0.1:{port}"),
                None,
                "e",
                &["x".to_owned()],
            )
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
    }
}
