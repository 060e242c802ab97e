//! A small client for the WhatsApp Cloud API (Meta's Graph API): send a text, mark a message
//! read, read a business phone number (the proof that a number is a brand's). Each brand has its
//! own phone number id and access token, so both are per call, not per client.
//!
//! Sends run from a job queue, so every failure says what to do next ([`GraphError`]):
//! retry later with a long backoff (rate limits), retry (the network or Meta had a problem),
//! or park the job with the error kept (the request itself is wrong, or the customer cannot be
//! reached: retrying would only repeat the refusal). The access token and the message body are
//! never part of an error.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::http;

/// Graph error codes that mean "too many requests": 130429 (Cloud API throughput), 131056
/// (too many messages to one customer), 80007 (WABA rate limit), and the generic Graph
/// throttles 4, 17, 32 and 613.
const RATE_LIMIT_CODES: &[i64] = &[130429, 131056, 80007, 4, 17, 32, 613];

/// Graph error codes that mean Meta had a passing problem, whatever the HTTP status: 1 and 2
/// (API unknown / service unavailable), 131000 (something went wrong), 131016 (service
/// unavailable).
const TRANSIENT_CODES: &[i64] = &[1, 2, 131000, 131016];

/// How to reach the Graph API.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Without a trailing slash; a local fake server in tests.
    pub base_url: String,
    /// The pinned Graph API version, e.g. `v21.0`.
    pub api_version: String,
    /// The whole request, connection included.
    pub timeout: Duration,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            base_url: "https://graph.facebook.com".to_owned(),
            api_version: "v21.0".to_owned(),
            timeout: Duration::from_secs(15),
        }
    }
}

/// Why a Graph API call failed, and so what the job queue does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// HTTP 429 or a throttling code: retry later, with a longer backoff than for
    /// [`GraphError::Transient`]. `code` is Graph's error code, when it sent one.
    #[error("rate limited by the Graph API (code {code:?})")]
    RateLimited {
        code: Option<i64>,
        retry_after: Option<Duration>,
    },
    /// 5xx, a timeout, no connection, or a code Meta documents as temporary: retry.
    #[error("Graph API unavailable: {reason}")]
    Transient { reason: String },
    /// Any other refusal: park the job and keep the error. `code` is Graph's error code
    /// (e.g. 131047: outside the 24-hour window, 100: invalid parameter, 190: bad token), or
    /// `None` when the response carried none.
    #[error("Graph API refused the request (HTTP {http_status}, code {code:?}): {message}")]
    Permanent {
        http_status: u16,
        code: Option<i64>,
        message: String,
    },
}

impl GraphError {
    /// Whether a later retry may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::Permanent { .. })
    }
}

/// `{"error": {"message", "type", "code", "error_subcode", "error_data": {"details"}, ...}}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: GraphErrorDetail,
}

#[derive(Deserialize)]
struct GraphErrorDetail {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    error_subcode: Option<i64>,
}

/// `{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}`.
#[derive(Deserialize)]
struct SendResponse {
    #[serde(default)]
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

/// A business phone number as the Graph API shows it to a token that may read it:
/// `{"id": "106540352242922", "display_phone_number": "+1 555-010-0001"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PhoneNumber {
    /// The phone number id (what webhooks name in `metadata.phone_number_id`).
    pub id: String,
    /// The number as people dial it.
    #[serde(default)]
    pub display_phone_number: Option<String>,
}

/// A Graph API client. Cheap to clone; share one.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base_url: String,
    api_version: String,
}

impl GraphClient {
    /// A client for `config`; fails only if the TLS backend cannot start (at start-up).
    pub fn new(config: GraphConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: http::client(config.timeout)?,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            api_version: config.api_version.trim_matches('/').to_owned(),
        })
    }

    /// Sends a text message (link previews off) and returns its `wamid`, which status
    /// webhooks will refer to.
    pub async fn send_text(
        &self,
        phone_number_id: &str,
        access_token: &str,
        to_wa_id: &str,
        body: &str,
    ) -> Result<String, GraphError> {
        let payload = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to_wa_id,
            "type": "text",
            "text": {"preview_url": false, "body": body},
        });
        let (status, bytes) = self
            .post_messages(phone_number_id, access_token, &payload)
            .await?;
        message_id(status, &bytes)
    }

    /// Sends an approved template message (the only kind Meta delivers outside the 24-hour
    /// customer service window) and returns its `wamid`. `language` is one of the template's
    /// approved language codes (`en_US`, `es`); `body_parameters` fill the body's `{{1}}`,
    /// `{{2}}`, ... in order (none: no `components`).
    pub async fn send_template(
        &self,
        phone_number_id: &str,
        access_token: &str,
        to_wa_id: &str,
        template: &str,
        language: &str,
        body_parameters: &[&str],
    ) -> Result<String, GraphError> {
        let mut message = json!({
            "name": template,
            "language": {"code": language},
        });
        if !body_parameters.is_empty() {
            let parameters: Vec<serde_json::Value> = body_parameters
                .iter()
                .map(|text| json!({"type": "text", "text": text}))
                .collect();
            message["components"] = json!([{"type": "body", "parameters": parameters}]);
        }
        let payload = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to_wa_id,
            "type": "template",
            "template": message,
        });
        let (status, bytes) = self
            .post_messages(phone_number_id, access_token, &payload)
            .await?;
        message_id(status, &bytes)
    }

    /// Marks an inbound message (and the ones before it) read, and shows the customer a
    /// typing indicator until the reply is sent (or 25 seconds pass).
    pub async fn mark_read(
        &self,
        phone_number_id: &str,
        access_token: &str,
        wamid: &str,
    ) -> Result<(), GraphError> {
        let payload = json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
            "typing_indicator": {"type": "text"},
        });
        self.post_messages(phone_number_id, access_token, &payload)
            .await
            .map(|_| ())
    }

    /// Reads a business phone number with `access_token`: `GET
    /// {base}/{version}/{phone_number_id}?fields=id,display_phone_number`. Meta shows a number
    /// only to a token of the WhatsApp Business Account the number belongs to, and answers
    /// anything else with an error object (400 with code 100 for a number the token cannot see,
    /// 401 with code 190 for a bad token): a [`GraphError::Permanent`]. So an answer naming the
    /// same id proves that the number is the token's.
    pub async fn phone_number(
        &self,
        phone_number_id: &str,
        access_token: &str,
    ) -> Result<PhoneNumber, GraphError> {
        let url = self.number_url(phone_number_id, "?fields=id,display_phone_number")?;
        let (status, bytes) = send(self.http.get(url).bearer_auth(access_token)).await?;
        serde_json::from_slice::<PhoneNumber>(&bytes).map_err(|_| GraphError::Permanent {
            http_status: status,
            code: None,
            message: "the phone number answer has no id".to_owned(),
        })
    }

    /// POSTs to `{base}/{version}/{phone_number_id}/messages`.
    async fn post_messages(
        &self,
        phone_number_id: &str,
        access_token: &str,
        payload: &serde_json::Value,
    ) -> Result<(u16, bytes::Bytes), GraphError> {
        let url = self.number_url(phone_number_id, "/messages")?;
        send(self.http.post(url).bearer_auth(access_token).json(payload)).await
    }

    /// `{base}/{version}/{phone_number_id}{rest}`. The id becomes a path segment: anything but
    /// digits is refused rather than built into a URL.
    fn number_url(&self, phone_number_id: &str, rest: &str) -> Result<String, GraphError> {
        if phone_number_id.is_empty() || !phone_number_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GraphError::Permanent {
                http_status: 0,
                code: None,
                message: "the phone number id is not a Graph id".to_owned(),
            });
        }
        Ok(format!(
            "{}/{}/{phone_number_id}{rest}",
            self.base_url, self.api_version
        ))
    }
}

/// The `wamid` of an accepted send. Meta accepted the message: a retry would send it twice, so
/// an unreadable answer is parked, not retried.
fn message_id(status: u16, bytes: &[u8]) -> Result<String, GraphError> {
    serde_json::from_slice::<SendResponse>(bytes)
        .ok()
        .and_then(|r| r.messages.into_iter().next())
        .map(|m| m.id)
        .filter(|id| !id.is_empty())
        .ok_or(GraphError::Permanent {
            http_status: status,
            code: None,
            message: "the send was accepted but the response has no message id".to_owned(),
        })
}

/// Sends a request and counts its outcome for `/metrics`.
async fn send(request: reqwest::RequestBuilder) -> Result<(u16, bytes::Bytes), GraphError> {
    use crate::metrics::{Outcome, Service};
    let result = send_once(request).await;
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(e) if e.is_retryable() => Outcome::Transient,
        Err(_) => Outcome::Permanent,
    };
    crate::metrics::outbound(Service::Graph, outcome);
    result
}

/// Sends a request; a 2xx answer's status and body, any other answer classified.
async fn send_once(request: reqwest::RequestBuilder) -> Result<(u16, bytes::Bytes), GraphError> {
    let response = request.send().await.map_err(|e| GraphError::Transient {
        reason: http::transport_reason(&e),
    })?;
    let status = response.status().as_u16();
    let retry_after = http::retry_after(response.headers());
    let bytes = response.bytes().await.map_err(|e| GraphError::Transient {
        reason: http::transport_reason(&e),
    })?;
    if (200..300).contains(&status) {
        Ok((status, bytes))
    } else {
        Err(classify(status, retry_after, &bytes))
    }
}

/// Classifies a non-2xx Graph response from its status and error body.
fn classify(http_status: u16, retry_after: Option<Duration>, body: &[u8]) -> GraphError {
    let detail = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| b.error);
    let code = detail.as_ref().and_then(|d| d.code);
    let message = detail
        .as_ref()
        .and_then(|d| d.message.as_deref())
        .map(http::truncate)
        .unwrap_or_else(|| format!("HTTP {http_status}"));
    let subcode = detail.as_ref().and_then(|d| d.error_subcode);

    let throttled = |c: i64| RATE_LIMIT_CODES.contains(&c);
    if http_status == 429 || code.is_some_and(throttled) {
        return GraphError::RateLimited { code, retry_after };
    }
    if http_status == 408
        || (500..600).contains(&http_status)
        || code.is_some_and(|c| TRANSIENT_CODES.contains(&c))
    {
        return GraphError::Transient {
            reason: match code {
                Some(c) => format!("HTTP {http_status}, code {c}: {message}"),
                None => format!("HTTP {http_status}: {message}"),
            },
        };
    }
    GraphError::Permanent {
        http_status,
        code,
        message: match subcode {
            Some(s) => format!("{message} (subcode {s})"),
            None => message,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wiremock::matchers::{body_json, header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    const PHONE_ID: &str = "106540352242922";
    const TOKEN: &str = "EAAG-secret-token";

    fn client(server: &MockServer) -> GraphClient {
        GraphClient::new(GraphConfig {
            base_url: server.uri(),
            ..GraphConfig::default()
        })
        .unwrap()
    }

    fn graph_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_json(json!({
            "error": {"message": message, "type": "OAuthException", "code": code,
                      "error_subcode": 2494010, "fbtrace_id": "AbCdEf"}
        }))
    }

    #[test]
    fn defaults_point_at_meta() {
        let config = GraphConfig::default();
        assert_eq!(config.base_url, "https://graph.facebook.com");
        assert_eq!(config.api_version, "v21.0");
    }

    #[tokio::test]
    async fn send_text_posts_the_documented_body_and_returns_the_wamid() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v21.0/{PHONE_ID}/messages")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "34600000001",
                "type": "text",
                "text": {"preview_url": false, "body": "¡Hola! Sí, tenemos champú."}
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": "34600000001", "wa_id": "34600000001"}],
                "messages": [{"id": "wamid.HBgLMzQ2MDAwMDAwMDEVAgARGBI="}]
            })))
            .expect(1)
            .mount(&server)
            .await;

        let wamid = client(&server)
            .send_text(PHONE_ID, TOKEN, "34600000001", "¡Hola! Sí, tenemos champú.")
            .await
            .unwrap();
        assert_eq!(wamid, "wamid.HBgLMzQ2MDAwMDAwMDEVAgARGBI=");
    }

    #[tokio::test]
    async fn send_template_posts_the_documented_body_and_returns_the_wamid() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v21.0/{PHONE_ID}/messages")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(body_json(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "34600000001",
                "type": "template",
                "template": {
                    "name": "order_paid",
                    "language": {"code": "es"},
                    "components": [{"type": "body", "parameters": [{"type": "text", "text": "1042"}]}]
                }
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": "34600000001", "wa_id": "34600000001"}],
                "messages": [{"id": "wamid.TEMPLATE", "message_status": "accepted"}]
            })))
            .expect(1)
            .mount(&server)
            .await;
        let wamid = client(&server)
            .send_template(
                PHONE_ID,
                TOKEN,
                "34600000001",
                "order_paid",
                "es",
                &["1042"],
            )
            .await
            .unwrap();
        assert_eq!(wamid, "wamid.TEMPLATE");
    }

    #[tokio::test]
    async fn mark_read_sends_read_with_a_typing_indicator() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v21.0/{PHONE_ID}/messages")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(body_json(json!({
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": "wamid.IN",
                "typing_indicator": {"type": "text"}
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
            .expect(1)
            .mount(&server)
            .await;
        client(&server)
            .mark_read(PHONE_ID, TOKEN, "wamid.IN")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_version_and_base_url_are_configurable() {
        let server = MockServer::start().await;
        Mock::given(path(format!("/v23.0/{PHONE_ID}/messages")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
            .expect(1)
            .mount(&server)
            .await;
        let client = GraphClient::new(GraphConfig {
            base_url: format!("{}/", server.uri()),
            api_version: "v23.0".into(),
            timeout: Duration::from_secs(2),
        })
        .unwrap();
        client.mark_read(PHONE_ID, TOKEN, "wamid.IN").await.unwrap();
    }

    /// Sends to a server that answers every request with `response`.
    async fn send_against(response: ResponseTemplate, timeout: Duration) -> GraphError {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let client = GraphClient::new(GraphConfig {
            base_url: server.uri(),
            timeout,
            ..GraphConfig::default()
        })
        .unwrap();
        let err = client
            .send_text(PHONE_ID, TOKEN, "34600000001", "a private message body")
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains(TOKEN) && !text.contains("private message"),
            "an error leaks the token or the body: {text}"
        );
        err
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn rate_limits_are_retried_later() {
        assert_eq!(
            send_against(
                ResponseTemplate::new(429).insert_header("retry-after", "60"),
                SECOND
            )
            .await,
            GraphError::RateLimited {
                code: None,
                retry_after: Some(Duration::from_secs(60))
            }
        );
        for code in [130429, 131056, 80007, 4, 17, 32, 613] {
            let err =
                send_against(graph_error(400, code, "(#130429) Rate limit hit"), SECOND).await;
            assert_eq!(
                err,
                GraphError::RateLimited {
                    code: Some(code),
                    retry_after: None
                }
            );
            assert!(err.is_retryable());
        }
    }

    #[tokio::test]
    async fn server_errors_and_timeouts_are_transient() {
        let err = send_against(
            ResponseTemplate::new(502).set_body_string("Bad Gateway"),
            SECOND,
        )
        .await;
        assert!(matches!(err, GraphError::Transient { .. }), "{err:?}");
        let err = send_against(
            graph_error(500, 2, "Service temporarily unavailable"),
            SECOND,
        )
        .await;
        assert!(matches!(err, GraphError::Transient { .. }), "{err:?}");
        let err = send_against(graph_error(400, 131000, "Something went wrong"), SECOND).await;
        assert!(matches!(err, GraphError::Transient { .. }), "{err:?}");
        let err = send_against(
            ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
            Duration::from_millis(300),
        )
        .await;
        assert!(
            matches!(&err, GraphError::Transient { reason } if reason.starts_with("timed out")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn refusals_are_permanent_with_the_error_kept() {
        assert_eq!(
            send_against(graph_error(400, 131047, "Re-engagement message"), SECOND).await,
            GraphError::Permanent {
                http_status: 400,
                code: Some(131047),
                message: "Re-engagement message (subcode 2494010)".into()
            }
        );
        let invalid = send_against(graph_error(400, 100, "(#100) Invalid parameter"), SECOND).await;
        assert!(matches!(
            invalid,
            GraphError::Permanent {
                code: Some(100),
                ..
            }
        ));
        let token = send_against(
            graph_error(
                401,
                190,
                "Error validating access token: Session has expired",
            ),
            SECOND,
        )
        .await;
        assert!(matches!(
            token,
            GraphError::Permanent {
                http_status: 401,
                code: Some(190),
                ..
            }
        ));
        assert!(!token.is_retryable());
        let unreadable =
            send_against(ResponseTemplate::new(404).set_body_string("<html>"), SECOND).await;
        assert_eq!(
            unreadable,
            GraphError::Permanent {
                http_status: 404,
                code: None,
                message: "HTTP 404".into()
            }
        );
        // Accepted, but no wamid: parked (a retry could send the message twice).
        let no_id = send_against(
            ResponseTemplate::new(200).set_body_json(json!({"messages": []})),
            SECOND,
        )
        .await;
        assert!(matches!(
            no_id,
            GraphError::Permanent {
                http_status: 200,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn a_phone_number_id_that_is_not_a_graph_id_is_refused_before_sending() {
        let server = MockServer::start().await;
        let err = client(&server)
            .mark_read("../../me", TOKEN, "wamid.IN")
            .await
            .unwrap_err();
        assert!(matches!(err, GraphError::Permanent { http_status: 0, .. }));
        assert!(server.received_requests().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn phone_number_reads_the_number_with_the_brands_token() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("/v21.0/{PHONE_ID}")))
            .and(query_param("fields", "id,display_phone_number"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": PHONE_ID, "display_phone_number": "+1 555-010-0001"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let number = client(&server).phone_number(PHONE_ID, TOKEN).await.unwrap();
        assert_eq!(
            number,
            PhoneNumber {
                id: PHONE_ID.into(),
                display_phone_number: Some("+1 555-010-0001".into())
            }
        );
    }

    #[tokio::test]
    async fn a_number_the_token_cannot_see_is_a_permanent_refusal() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
                "message": "Unsupported get request. Object with ID '106540352242922' does not exist, cannot be loaded due to missing permissions, or does not support this operation",
                "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "AbC"
            }})))
            .mount(&server)
            .await;
        let err = client(&server)
            .phone_number(PHONE_ID, TOKEN)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                GraphError::Permanent {
                    http_status: 400,
                    code: Some(100),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?}").contains(TOKEN));
        let err = client(&server)
            .phone_number("1/../me", TOKEN)
            .await
            .unwrap_err();
        assert!(matches!(err, GraphError::Permanent { http_status: 0, .. }));
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }
}
