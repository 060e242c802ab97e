//! What the webhook endpoints and the delivery job call: managing a brand's endpoints, its
//! delivery log and redeliveries, sending one delivery, and pruning old deliveries.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

pub use super::repo::{DeliveryRow, EndpointRow};
use super::{
    DeliveryStatus, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, new_secret, repo,
    repo::Pending,
    signature,
    target::{self, TargetPolicy},
};
use crate::{
    audit,
    chat::http::{retry_after, transport_reason, truncate},
    config::WebhookSettings,
    db::{Db, DbError},
    error::{DomainError, FieldError},
    events::{self, EventType},
    jobs::{self, JobError, JobKind},
    scope::{Actor, TenantScope},
    tenants::TenantResolver,
};

/// The webhooks domain's errors: the shared ones.
pub type WebhookError = DomainError;

/// The most event types one endpoint subscribes to (every type there is fits).
const MAX_TYPES: usize = 64;
/// The longest delivery log one request returns.
pub const MAX_LOG: i64 = 500;

/// What the delivery job and the endpoints need: the pool, the brands (for pruning each), the
/// delivery client and the settings.
#[derive(Clone)]
pub struct Webhooks {
    pub db: Db,
    pub tenants: TenantResolver,
    pub settings: WebhookSettings,
    http: reqwest::Client,
}

impl Webhooks {
    /// Builds the delivery client (its resolver refuses private addresses unless allowed).
    pub fn new(
        db: Db,
        tenants: TenantResolver,
        settings: WebhookSettings,
    ) -> Result<Self, reqwest::Error> {
        let http = target::client(settings.timeout, policy(&settings))?;
        Ok(Self {
            db,
            tenants,
            settings,
            http,
        })
    }
}

fn policy(settings: &WebhookSettings) -> TargetPolicy {
    TargetPolicy {
        allow_private: settings.allow_private_targets,
        allow_http: settings.allow_http,
    }
}

/// Parses and checks a target URL (form and where it resolves now); a 422 naming `url`.
async fn checked_url(settings: &WebhookSettings, raw: &str) -> Result<String, WebhookError> {
    let policy = policy(settings);
    let url = target::parse_url(raw, policy)
        .map_err(|e| WebhookError::invalid_field("url", e.to_string()))?;
    target::check_resolves(&url, policy)
        .await
        .map_err(|e| WebhookError::invalid_field("url", e.to_string()))?;
    Ok(url.to_string())
}

/// Deduplicated event types, at least one.
fn checked_types(types: &[EventType]) -> Result<Vec<EventType>, WebhookError> {
    let mut out: Vec<EventType> = Vec::new();
    for t in types {
        if !out.contains(t) {
            out.push(*t);
        }
    }
    if out.is_empty() || out.len() > MAX_TYPES {
        return Err(WebhookError::Invalid(vec![FieldError::new(
            "event_types",
            "must name at least one event type",
        )]));
    }
    Ok(out)
}

const NOT_FOUND: &str = "no such webhook endpoint in this brand";

/// Registers an endpoint; returns it with its secret (the only time the secret is shown).
pub async fn create(
    hooks: &Webhooks,
    scope: &TenantScope,
    url: &str,
    types: &[EventType],
) -> Result<(EndpointRow, String), WebhookError> {
    let url = checked_url(&hooks.settings, url).await?;
    let types = checked_types(types)?;
    let secret = new_secret();
    let row = hooks
        .db
        .tenant_tx(scope, async |tx| {
            let row = repo::insert_endpoint(tx, &url, &types, &secret).await?;
            audit::record(
                tx,
                "webhook.create",
                &row.id.to_string(),
                serde_json::json!({"url": row.url, "event_types": types.iter().map(|t| t.as_str()).collect::<Vec<_>>()}),
            )
            .await?;
            Ok::<_, WebhookError>(row)
        })
        .await?;
    Ok((row, secret))
}

/// The brand's endpoints.
pub async fn list(hooks: &Webhooks, scope: &TenantScope) -> Result<Vec<EndpointRow>, WebhookError> {
    let tenant = scope.tenant_id();
    Ok(hooks
        .db
        .tenant_tx(scope, async |tx| repo::list_endpoints(tx, tenant).await)
        .await?)
}

/// One endpoint of the brand.
pub async fn get(
    hooks: &Webhooks,
    scope: &TenantScope,
    id: Uuid,
) -> Result<EndpointRow, WebhookError> {
    let tenant = scope.tenant_id();
    hooks
        .db
        .tenant_tx(scope, async |tx| repo::get_endpoint(tx, tenant, id).await)
        .await?
        .ok_or(WebhookError::NotFound(NOT_FOUND))
}

/// A change to an endpoint (`None` keeps a field).
#[derive(Debug, Default)]
pub struct Change {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub active: Option<bool>,
}

/// Changes an endpoint (a new URL is checked as at creation).
pub async fn update(
    hooks: &Webhooks,
    scope: &TenantScope,
    id: Uuid,
    change: &Change,
) -> Result<EndpointRow, WebhookError> {
    let url = match &change.url {
        Some(u) => Some(checked_url(&hooks.settings, u).await?),
        None => None,
    };
    let types = change
        .event_types
        .as_deref()
        .map(checked_types)
        .transpose()?;
    let tenant = scope.tenant_id();
    hooks
        .db
        .tenant_tx(scope, async |tx| {
            let Some(row) = repo::update_endpoint(
                tx,
                tenant,
                id,
                url.as_deref(),
                types.as_deref(),
                change.active,
            )
            .await?
            else {
                return Err(WebhookError::NotFound(NOT_FOUND));
            };
            audit::record(
                tx,
                "webhook.update",
                &id.to_string(),
                serde_json::json!({"url": url, "event_types": types.as_ref().map(|t| t.iter().map(|t| t.as_str()).collect::<Vec<_>>()), "active": change.active}),
            )
            .await?;
            Ok(row)
        })
        .await
}

/// Replaces an endpoint's secret; returns the endpoint and the new secret (shown once).
pub async fn rotate_secret(
    hooks: &Webhooks,
    scope: &TenantScope,
    id: Uuid,
) -> Result<(EndpointRow, String), WebhookError> {
    let secret = new_secret();
    let tenant = scope.tenant_id();
    let row = hooks
        .db
        .tenant_tx(scope, async |tx| {
            let Some(row) = repo::rotate_secret(tx, tenant, id, &secret).await? else {
                return Err(WebhookError::NotFound(NOT_FOUND));
            };
            audit::record(
                tx,
                "webhook.rotate_secret",
                &id.to_string(),
                serde_json::json!({}),
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok((row, secret))
}

/// Deletes an endpoint and its delivery log.
pub async fn delete(hooks: &Webhooks, scope: &TenantScope, id: Uuid) -> Result<(), WebhookError> {
    let tenant = scope.tenant_id();
    hooks
        .db
        .tenant_tx(scope, async |tx| {
            if !repo::delete_endpoint(tx, tenant, id).await? {
                return Err(WebhookError::NotFound(NOT_FOUND));
            }
            audit::record(tx, "webhook.delete", &id.to_string(), serde_json::json!({})).await?;
            Ok(())
        })
        .await
}

/// An endpoint's latest deliveries, newest first.
pub async fn deliveries(
    hooks: &Webhooks,
    scope: &TenantScope,
    id: Uuid,
    limit: i64,
) -> Result<Vec<DeliveryRow>, WebhookError> {
    let tenant = scope.tenant_id();
    hooks
        .db
        .tenant_tx(scope, async |tx| {
            if repo::get_endpoint(tx, tenant, id).await?.is_none() {
                return Err(WebhookError::NotFound(NOT_FOUND));
            }
            Ok(repo::list_deliveries(tx, tenant, id, limit.clamp(1, MAX_LOG)).await?)
        })
        .await
}

/// Sends a delivery again, from its first attempt (a new job; the event and its id are the
/// same, so receivers that saw it deduplicate). Refused while the endpoint is disabled.
pub async fn redeliver(
    hooks: &Webhooks,
    scope: &TenantScope,
    id: Uuid,
    delivery: Uuid,
) -> Result<(), WebhookError> {
    let tenant = scope.tenant_id();
    hooks
        .db
        .tenant_tx(scope, async |tx| {
            let Some(endpoint) = repo::get_endpoint(tx, tenant, id).await? else {
                return Err(WebhookError::NotFound(NOT_FOUND));
            };
            if !endpoint.active {
                return Err(WebhookError::Conflict(
                    "the endpoint is disabled: enable it (active: true) before redelivering".into(),
                ));
            }
            if !repo::redeliver(tx, tenant, id, delivery).await? {
                return Err(WebhookError::NotFound("no such delivery of this endpoint"));
            }
            jobs::enqueue(
                tx,
                JobKind::DeliverWebhook,
                &delivery.to_string(),
                Utc::now(),
            )
            .await?;
            audit::record(
                tx,
                "webhook.redeliver",
                &delivery.to_string(),
                serde_json::json!({"endpoint_id": id}),
            )
            .await?;
            Ok(())
        })
        .await
}

/// The body sent for an event: its id, number, type, subject, payload and time. Never the
/// event's `pii` column: customer personal data does not leave through webhooks (a receiver
/// that needs it reads the order through the API with its own permission).
fn body(p: &Pending) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": p.event_id,
        "seq": p.seq,
        "type": p.event_type.as_str(),
        "subject": p.subject,
        "payload": p.payload,
        "created_at": p.created_at,
    }))
    .unwrap_or_default()
}

/// How one attempt went.
#[derive(Debug)]
enum Attempt {
    /// 2xx.
    Delivered(i32),
    /// Worth another attempt: a network error, 408, 429 or 5xx (`after`: the server's
    /// `Retry-After`).
    Retry {
        code: Option<i32>,
        error: String,
        after: Option<Duration>,
    },
    /// Retrying cannot help (another 4xx, a redirect, a refused target).
    Fail { code: Option<i32>, error: String },
}

/// Sends one attempt: checks the target again (an IP literal here; names in the client's
/// guarded resolver), signs, posts.
async fn send(hooks: &Webhooks, p: &Pending) -> Attempt {
    let policy = policy(&hooks.settings);
    let url = match target::parse_url(&p.url, policy) {
        Ok(url) => url,
        Err(e) => {
            return Attempt::Fail {
                code: None,
                error: format!("the target is refused: it {e}"),
            };
        }
    };
    if let Some(ip) = target::literal_ip(&url)
        && !policy.allow_private
        && target::is_forbidden(ip)
    {
        return Attempt::Fail {
            code: None,
            error: "the target is refused: a private, loopback, link-local or reserved address"
                .into(),
        };
    }
    let body = body(p);
    let timestamp = Utc::now().timestamp();
    let request = hooks
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature(&p.secret, timestamp, &body))
        .header(EVENT_ID_HEADER, p.event_id.to_string())
        .header(EVENT_TYPE_HEADER, p.event_type.as_str())
        .body(body);
    match request.send().await {
        // The guarded resolver found no allowed address: retrying cannot help.
        Err(e) if target::refusal(&e).is_some() => Attempt::Fail {
            code: None,
            error: format!("the target is refused: {}", transport_reason(&e)),
        },
        Err(e) => Attempt::Retry {
            code: None,
            error: transport_reason(&e),
            after: None,
        },
        Ok(resp) => {
            let status = resp.status();
            let code = Some(i32::from(status.as_u16()));
            if status.is_success() {
                return Attempt::Delivered(i32::from(status.as_u16()));
            }
            let after = retry_after(resp.headers());
            let error = format!("the endpoint answered {}", status.as_u16());
            if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                Attempt::Retry { code, error, after }
            } else {
                Attempt::Fail { code, error }
            }
        }
    }
}

/// The delay before the attempt after attempt number `done` (1-based): the server's
/// `Retry-After` when it sent one, otherwise `base * 2^(done-1)` with jitter (between half and
/// all of it), both capped at `max`.
pub fn retry_delay(settings: &WebhookSettings, done: i32, after: Option<Duration>) -> Duration {
    let delay = match after {
        Some(after) => after,
        None => {
            let exp = u32::try_from(done.clamp(1, 20) - 1).unwrap_or(0);
            let full = settings.retry_base.saturating_mul(2u32.saturating_pow(exp));
            let jitter: f64 = rand::random_range(0.5..=1.0);
            full.mul_f64(jitter)
        }
    };
    delay.min(settings.retry_max)
}

/// The delivery job: one attempt of one delivery, in the brand's scope. Idempotent: a
/// delivery that is no longer pending (delivered, failed, its endpoint deleted) is left alone.
/// A retry is scheduled by returning [`JobError::RetryIn`] with this delivery's own delay;
/// `last_job_attempt`: the queue would park the job after this attempt, so it is the last.
pub async fn deliver(
    hooks: &Webhooks,
    scope: &TenantScope,
    delivery: Uuid,
    last_job_attempt: bool,
) -> Result<(), JobError> {
    let tenant = scope.tenant_id();
    let Some(p) = hooks
        .db
        .tenant_tx(scope, async |tx| {
            repo::load_delivery(tx, tenant, delivery).await
        })
        .await?
    else {
        return Ok(());
    };
    if p.status != DeliveryStatus::Pending {
        return Ok(());
    }
    let attempt = if p.active {
        send(hooks, &p).await
    } else {
        // Not counted against the endpoint: it is disabled already.
        hooks
            .db
            .tenant_tx(scope, async |tx| {
                repo::record_attempt(
                    tx,
                    tenant,
                    delivery,
                    DeliveryStatus::Failed,
                    None,
                    Some("the endpoint is disabled"),
                    None,
                )
                .await
            })
            .await?;
        return Ok(());
    };
    let done = p.attempts + 1;
    let out_of_attempts = done >= hooks.settings.max_attempts || last_job_attempt;
    let (status, code, error, retry) = match attempt {
        Attempt::Delivered(code) => (DeliveryStatus::Delivered, Some(code), None, None),
        Attempt::Retry { code, error, after } if !out_of_attempts => {
            let delay = retry_delay(&hooks.settings, done, after);
            (DeliveryStatus::Pending, code, Some(error), Some(delay))
        }
        Attempt::Retry { code, error, .. } | Attempt::Fail { code, error } => {
            (DeliveryStatus::Failed, code, Some(error), None)
        }
    };
    let error = error.map(|e| truncate(&e));
    let settings = hooks.settings;
    hooks
        .db
        .tenant_tx(scope, async |tx| {
            let recorded = repo::record_attempt(
                tx,
                tenant,
                delivery,
                status,
                code,
                error.as_deref(),
                retry.map(|d| d.as_secs_f64()),
            )
            .await?;
            if recorded.is_none() {
                return Ok::<_, DbError>(()); // redelivered or finished meanwhile
            }
            match status {
                DeliveryStatus::Delivered => {
                    repo::endpoint_succeeded(tx, tenant, p.endpoint_id).await?
                }
                DeliveryStatus::Failed => {
                    endpoint_failed(tx, tenant, p.endpoint_id, settings.disable_after).await?;
                }
                DeliveryStatus::Pending => {}
            }
            Ok(())
        })
        .await?;
    match retry {
        Some(delay) => Err(JobError::RetryIn {
            delay,
            message: error.unwrap_or_default(),
        }),
        None => Ok(()),
    }
}

/// Counts a failed delivery against its endpoint; when that disables it, tells the brand with a
/// `webhook.disabled` event (in the same transaction; it fans out to the brand's other
/// endpoints subscribed to it).
async fn endpoint_failed(
    tx: &crate::db::Tx<'_>,
    tenant: Uuid,
    endpoint: Uuid,
    disable_after: i32,
) -> Result<(), DbError> {
    let Some(failed) = repo::endpoint_failed(tx, tenant, endpoint, disable_after).await? else {
        return Ok(());
    };
    if failed.just_disabled {
        tracing::warn!(webhook.id = %endpoint, failures = failed.consecutive_failures, "webhook endpoint disabled after a run of failed deliveries");
        events::record(
            tx,
            EventType::WebhookDisabled,
            &endpoint.to_string(),
            serde_json::json!({
                "endpoint_id": endpoint,
                "url": failed.url,
                "consecutive_failures": failed.consecutive_failures,
            }),
            None,
        )
        .await?;
    }
    Ok(())
}

/// Prunes every brand's finished deliveries older than the retention, brand by brand in each
/// brand's transaction; returns how many went.
pub async fn prune(hooks: &Webhooks) -> Result<u64, anyhow::Error> {
    let older_than = hooks.settings.retention.as_secs_f64();
    let mut total = 0;
    for id in crate::tenants::service::brand_ids(&hooks.db, &Actor::System).await? {
        let scope = hooks.tenants.scope_for_id(id, Actor::System).await?;
        total += hooks
            .db
            .tenant_tx(&scope, async |tx| repo::prune(tx, id, older_than).await)
            .await?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_with_jitter_and_honour_retry_after_up_to_the_cap() {
        let settings = WebhookSettings {
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(100),
            ..WebhookSettings::default()
        };
        for _ in 0..50 {
            let first = retry_delay(&settings, 1, None);
            assert!((Duration::from_secs(5)..=Duration::from_secs(10)).contains(&first));
            let third = retry_delay(&settings, 3, None);
            assert!((Duration::from_secs(20)..=Duration::from_secs(40)).contains(&third));
        }
        assert_eq!(retry_delay(&settings, 9, None), Duration::from_secs(100));
        assert_eq!(
            retry_delay(&settings, 1, Some(Duration::from_secs(42))),
            Duration::from_secs(42)
        );
        assert_eq!(
            retry_delay(&settings, 1, Some(Duration::from_secs(4200))),
            Duration::from_secs(100)
        );
    }

    #[test]
    fn event_types_are_deduplicated_and_required() {
        assert_eq!(
            checked_types(&[EventType::OrderPaid, EventType::OrderPaid]).unwrap(),
            [EventType::OrderPaid]
        );
        assert!(checked_types(&[]).is_err());
    }
}
