//! The assistant's flows, put together from the pieces: webhook ingestion (verify, parse,
//! store, enqueue: fast), the reply job (language, retrieval, reply, send), staff replies, and
//! keeping the brand's product index current.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{DateTime, Duration, Utc};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::{
    graph::{GraphClient, GraphError},
    language,
    llm::{ChatMessage, LlmClient, Role},
    meta::{self, WebhookEvent},
    reply::{self, ProductFact},
    repo, signature,
    status::{ConversationState, MessageAuthor, MessageStatus, NumberRefusal},
};
pub use crate::config::{ChatConfig, LlmSettings};
use crate::{
    db::{DbError, Tx},
    error::ApiError,
    jobs::{self, JobError, JobKind},
    scope::{Actor, TenantScope},
    search::{ProductDoc, VectorIndex},
};

/// The assistant's service: clients, the product index, counters, and the pool and brand
/// lookups its webhook intake, reply jobs, re-indexing and support console use. Built by the
/// composition root (`startup.rs`) or a CLI command.
pub struct Chat {
    /// The API role's pool.
    pub db: crate::db::Db,
    /// Brand lookups (webhooks and jobs name brands by id).
    pub tenants: crate::tenants::TenantResolver,
    pub config: ChatConfig,
    pub graph: GraphClient,
    pub llm: LlmClient,
    pub index: Arc<dyn VectorIndex>,
    /// Webhook events for numbers no brand holds with proof (logged and counted; Meta still
    /// gets 200).
    pub unknown_numbers: AtomicU64,
}

impl Chat {
    pub fn new(
        config: ChatConfig,
        index: Arc<dyn VectorIndex>,
        db: crate::db::Db,
        tenants: crate::tenants::TenantResolver,
    ) -> anyhow::Result<Self> {
        let graph = GraphClient::new(super::graph::GraphConfig {
            base_url: config.graph_base_url.clone(),
            api_version: config.graph_version.clone(),
            ..Default::default()
        })?;
        Ok(Self {
            db,
            tenants,
            config,
            graph,
            llm: LlmClient::new(std::time::Duration::from_secs(30))?,
            index,
            unknown_numbers: AtomicU64::new(0),
        })
    }
}

/// The 24-hour customer service window: free-form messages only within a day of the
/// customer's last message.
pub const SERVICE_WINDOW: Duration = Duration::hours(24);

/// The one answer a brand gets when its claim on a WhatsApp number is refused, whatever the
/// reason: a number unknown to its token and a number another brand holds read the same.
pub const NUMBER_NOT_VERIFIED: &str = "could not be verified with this brand's access token \
     (the number must belong to the token's WhatsApp Business Account); the company owner can \
     assign it";

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("malformed webhook body: {0}")]
    Malformed(String),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid request")]
    Invalid(Vec<crate::error::FieldError>),
    #[error("{0}")]
    Upstream(String),
    /// A brand's claim on a WhatsApp number was refused; the reason is for the audit trail,
    /// the answer the same for every reason ([`NUMBER_NOT_VERIFIED`]; see `chat::numbers`).
    #[error("the WhatsApp number was refused ({})", .0.as_str())]
    NumberRefused(NumberRefusal),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::Unauthorized(what) => ApiError::unauthorized(what),
            ChatError::Malformed(what) => ApiError::bad_request(what),
            ChatError::NotFound(what) => ApiError::not_found(what),
            ChatError::Conflict(what) => ApiError::conflict(what),
            ChatError::Invalid(errors) => ApiError::invalid(errors),
            ChatError::Upstream(what) => ApiError::unavailable(anyhow::anyhow!(what)),
            ChatError::NumberRefused(_) => {
                ApiError::invalid_field("phone_number_id", NUMBER_NOT_VERIFIED)
            }
            ChatError::Db(db) => db.into(),
        }
    }
}

/// What a webhook delivery did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub stored: usize,
    pub duplicates: usize,
    pub statuses: usize,
    pub unknown_numbers: usize,
}

fn at(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0)
        .filter(|_| ts > 0)
        .unwrap_or_else(Utc::now)
}

/// Verifies, parses and stores a webhook delivery, and queues a reply per new inbound message.
/// `only_brand`: the brand-specific endpoint, whose events for other brands' numbers are
/// ignored.
pub async fn ingest(
    state: &Chat,
    body: &[u8],
    signature_header: Option<&str>,
    only_brand: Option<&TenantScope>,
) -> Result<IngestReport, ChatError> {
    let secret = app_secret(state, only_brand)
        .await?
        .ok_or(ChatError::Unauthorized("no Meta app secret is configured"))?;
    signature::verify(secret.as_bytes(), body, signature_header)
        .map_err(|_| ChatError::Unauthorized("missing or invalid X-Hub-Signature-256"))?;
    // Only now is the body parsed.
    let payload =
        meta::WebhookPayload::parse(body).map_err(|e| ChatError::Malformed(e.to_string()))?;

    let mut by_number: HashMap<String, Vec<WebhookEvent>> = HashMap::new();
    for event in meta::events(&payload) {
        let number = match &event {
            WebhookEvent::Inbound(m) => m.phone_number_id.clone(),
            WebhookEvent::Status(s) => s.phone_number_id.clone(),
        };
        by_number.entry(number).or_default().push(event);
    }
    let mut report = IngestReport::default();
    for (number, events) in by_number {
        let tenant = state
            .db
            .global_tx(&Actor::System, async |tx| {
                repo::brand_by_number(tx, &number).await
            })
            .await?;
        let scope = match tenant {
            Some(id) if only_brand.is_none_or(|s| s.tenant_id() == id) => state
                .tenants
                .scope_for_id(id, Actor::System)
                .await
                .map_err(|_| ChatError::NotFound("brand vanished"))?,
            _ => {
                state
                    .unknown_numbers
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
                report.unknown_numbers += events.len();
                tracing::warn!(whatsapp.phone_number_id = %number, events = events.len(), "webhook for a number no brand holds with proof");
                continue;
            }
        };
        let counts = state
            .db
            .tenant_tx(&scope, async |tx| store_events(tx, &events).await)
            .await?;
        report.stored += counts.stored;
        report.duplicates += counts.duplicates;
        report.statuses += counts.statuses;
    }
    Ok(report)
}

/// The secret a delivery is signed with: the brand's override on the brand-specific endpoint,
/// else the deployment's.
async fn app_secret(
    state: &Chat,
    only_brand: Option<&TenantScope>,
) -> Result<Option<String>, ChatError> {
    let deployment = || {
        state
            .config
            .app_secret
            .as_ref()
            .map(|s| s.expose_secret().to_owned())
    };
    Ok(match only_brand {
        Some(scope) => state
            .db
            .tenant_tx(scope, async |tx| repo::settings(tx).await)
            .await?
            .app_secret
            .or_else(deployment),
        None => deployment(),
    })
}

/// What storing one brand's events did.
#[derive(Default)]
struct Stored {
    stored: usize,
    duplicates: usize,
    statuses: usize,
}

/// Stores one brand's events in its transaction: each new inbound message with its customer
/// and conversation, and a reply job; each delivery status on its message.
async fn store_events(tx: &Tx<'_>, events: &[WebhookEvent]) -> Result<Stored, DbError> {
    let mut counts = Stored::default();
    let mut messages = Vec::new();
    for event in events {
        match event {
            WebhookEvent::Inbound(m) => {
                let when = at(m.timestamp);
                let customer =
                    repo::upsert_customer(tx, &m.wa_id, m.profile_name.as_deref()).await?;
                let conversation = repo::upsert_conversation(tx, customer, &m.wa_id, when).await?;
                let inserted = repo::insert_inbound(
                    tx,
                    conversation,
                    &m.wamid,
                    &m.kind,
                    m.text.as_deref(),
                    when,
                )
                .await?;
                match inserted {
                    Some(id) => {
                        jobs::enqueue(tx, JobKind::ChatReply, &id.to_string(), Utc::now()).await?;
                        messages.push((conversation, id, m.kind.clone()));
                        counts.stored += 1;
                    }
                    None => counts.duplicates += 1,
                }
            }
            WebhookEvent::Status(s) => {
                let error = s.error.as_ref().map(|(c, t)| (*c, t.as_str()));
                repo::update_status(tx, &s.wamid, s.status.as_str(), error).await?;
                counts.statuses += 1;
            }
        }
    }
    // The events last: the brand's event counter stays locked from the first to COMMIT, and
    // no conversation row is locked after it. Ids only: the text and the customer's number
    // stay in the conversation, behind chat.read.
    for (conversation, id, kind) in messages {
        crate::events::record(
            tx,
            crate::events::EventType::ConversationMessage,
            &conversation.to_string(),
            serde_json::json!({
                "conversation_id": conversation,
                "message_id": id,
                "kind": kind,
            }),
            None,
        )
        .await?;
    }
    Ok(counts)
}

/// English name of a language, for the LLM's instruction.
fn language_name(code: &str) -> &'static str {
    match code {
        "es" => "Spanish",
        "de" => "German",
        "fr" => "French",
        "pt" => "Portuguese",
        "it" => "Italian",
        "ja" => "Japanese",
        "nl" => "Dutch",
        _ => "English",
    }
}

fn graph_job_error(e: GraphError) -> JobError {
    if e.is_retryable() {
        JobError::Retry(e.to_string())
    } else {
        JobError::Permanent(e.to_string())
    }
}

/// The retrieved products' facts, in retrieval order.
async fn facts(
    state: &Chat,
    scope: &TenantScope,
    text: &str,
    lang: &str,
) -> Result<Vec<ProductFact>, JobError> {
    let hits = state
        .index
        .search(scope, text, lang, reply::MAX_PRODUCTS)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = hits.iter().map(|h| h.product_id).collect();
    let rows = state
        .db
        .tenant_tx(scope, async |tx| repo::product_facts(tx, &ids, lang).await)
        .await?;
    let currency = scope.tenant().currency.clone();
    Ok(hits
        .iter()
        .filter_map(|h| rows.iter().find(|r| r.product_id == h.product_id))
        .map(|r| ProductFact {
            name: r.name.clone(),
            sku_summary: None,
            price_minor: r.price_minor,
            currency: currency.clone(),
            available: r.available,
        })
        .collect())
}

/// Brands whose products are not in the assistant's index yet (a new deployment, a new index
/// backend) get a full re-index queued.
pub async fn queue_indexing_of_unindexed_brands(state: &Chat) -> anyhow::Result<()> {
    for id in crate::tenants::service::brand_ids(&state.db, &Actor::System).await? {
        let scope = state.tenants.scope_for_id(id, Actor::System).await?;
        if state.index.count(&scope).await? == 0 {
            state
                .db
                .tenant_tx(&scope, async |tx| {
                    jobs::enqueue(tx, JobKind::ReindexBrand, "all", Utc::now()).await
                })
                .await?;
        }
    }
    Ok(())
}

/// The reply job: answers one inbound message, once.
pub async fn reply(state: &Chat, scope: &TenantScope, message_id: Uuid) -> Result<(), JobError> {
    let (context, settings, history) = state
        .db
        .tenant_tx(scope, async |tx| {
            let Some(ctx) = repo::reply_context(tx, message_id).await? else {
                return Ok::<_, DbError>(None);
            };
            let settings = repo::settings(tx).await?;
            let history = repo::history(
                tx,
                ctx.conversation_id,
                message_id,
                reply::MAX_HISTORY_TURNS as i64,
            )
            .await?;
            Ok(Some((ctx, settings, history)))
        })
        .await?
        .ok_or_else(|| JobError::Permanent("no such inbound message".into()))?;
    if context.state != ConversationState::Bot {
        return Ok(()); // a human has the conversation
    }
    let (Some(number), Some(token)) = (
        settings.phone_number_id.clone(),
        settings.access_token.clone(),
    ) else {
        return Err(JobError::Permanent(
            "the brand's WhatsApp number or access token is not set".into(),
        ));
    };
    let text = context.body.clone().unwrap_or_default();

    // Handoff: a keyword hands the conversation to a human and stops the bot for it.
    let lowered = text.to_lowercase();
    if settings
        .handoff_keywords
        .iter()
        .any(|k| !k.trim().is_empty() && lowered.contains(&k.trim().to_lowercase()))
    {
        state
            .db
            .tenant_tx(scope, async |tx| {
                repo::set_state(tx, context.conversation_id, ConversationState::Human).await?;
                crate::events::record(
                    tx,
                    crate::events::EventType::ConversationHandoff,
                    &context.conversation_id.to_string(),
                    serde_json::json!({
                        "conversation_id": context.conversation_id,
                        "message_id": message_id,
                        "reason": "keyword",
                    }),
                    None,
                )
                .await
            })
            .await?;
        tracing::info!(conversation.id = %context.conversation_id, "handed to a human");
        return Ok(());
    }
    if context
        .last_inbound_at
        .is_some_and(|t| Utc::now() - t > SERVICE_WINDOW)
    {
        return Err(JobError::Permanent(
            "outside the 24-hour customer service window".into(),
        ));
    }

    // Read receipt and typing indicator: best effort.
    if let Some(wamid) = &context.wamid
        && let Err(e) = state.graph.mark_read(&number, &token, wamid).await
    {
        tracing::debug!(error = %e, "mark as read failed");
    }

    let supported: Vec<&str> = settings.languages.iter().map(String::as_str).collect();
    let preference = context
        .preferred_language
        .as_deref()
        .or(context.language.as_deref());
    let lang = language::detect(&text, &supported, &settings.default_language, preference);
    let body = compose(state, scope, &settings, &history, &text, &lang).await?;
    let sender = Sender {
        number: &number,
        token: &token,
    };
    deliver(state, scope, &context, message_id, &sender, &lang, &body).await
}

/// The answer's text: the LLM's when one is configured and products were found, else the
/// brand's template (greeting on a first message, fallback when nothing matched).
async fn compose(
    state: &Chat,
    scope: &TenantScope,
    settings: &repo::Settings,
    history: &[(MessageAuthor, String)],
    text: &str,
    lang: &str,
) -> Result<String, JobError> {
    let products = facts(state, scope, text, lang).await?;
    let fallback = repo::Settings::localised(&settings.fallbacks, lang, &settings.default_language)
        .unwrap_or("Sorry, I could not find that. A colleague will get back to you.")
        .to_owned();
    let Some(llm) = state.config.llm.as_ref().filter(|_| !products.is_empty()) else {
        let greeting = history
            .is_empty()
            .then(|| {
                repo::Settings::localised(&settings.greetings, lang, &settings.default_language)
            })
            .flatten();
        return Ok(reply::template_reply(
            lang,
            &scope.tenant().name,
            greeting,
            &fallback,
            &products,
        ));
    };
    let persona = format!(
        "You are the assistant of the brand {}. {}",
        scope.tenant().name,
        settings.persona
    );
    let turns: Vec<(Role, String)> = history
        .iter()
        .map(|(author, body)| {
            let role = if *author == MessageAuthor::Customer {
                Role::User
            } else {
                Role::Assistant
            };
            (role, body.clone())
        })
        .collect();
    let messages: Vec<ChatMessage> = reply::llm_messages(
        &persona,
        &settings.tone,
        language_name(lang),
        &turns,
        &products,
        text,
    );
    state
        .llm
        .chat(
            &llm.base_url,
            llm.api_key.as_ref().map(|k| k.expose_secret()),
            &llm.model,
            &messages,
        )
        .await
        .map_err(|e| {
            if e.is_retryable() {
                JobError::Retry(e.to_string())
            } else {
                JobError::Permanent(e.to_string())
            }
        })
}

/// The brand's WhatsApp number and its access token.
struct Sender<'a> {
    number: &'a str,
    token: &'a str,
}

/// One reply per inbound message: claims the reply row, sends it if it is still pending, and
/// records what the Graph API said.
async fn deliver(
    state: &Chat,
    scope: &TenantScope,
    context: &repo::ReplyContext,
    message_id: Uuid,
    sender: &Sender<'_>,
    lang: &str,
    body: &str,
) -> Result<(), JobError> {
    let (reply_id, status, claimed_body) = state
        .db
        .tenant_tx(scope, async |tx| {
            repo::set_language(tx, context.conversation_id, lang).await?;
            repo::claim_reply(tx, context.conversation_id, body, message_id).await
        })
        .await?;
    if status != MessageStatus::Pending {
        return Ok(());
    }
    match state
        .graph
        .send_text(sender.number, sender.token, &context.wa_id, &claimed_body)
        .await
    {
        Ok(wamid) => {
            state
                .db
                .tenant_tx(scope, async |tx| {
                    repo::mark_sent(tx, reply_id, &wamid).await?;
                    repo::touch_conversation(tx, context.conversation_id).await
                })
                .await?;
            Ok(())
        }
        Err(e) => {
            if let GraphError::Permanent { code, message, .. } = &e {
                let title: String = message.chars().take(300).collect();
                state
                    .db
                    .tenant_tx(scope, async |tx| {
                        repo::mark_failed(tx, reply_id, *code, &title).await
                    })
                    .await?;
            }
            Err(graph_job_error(e))
        }
    }
}

/// A staff member's reply: same number, same window rule; the conversation becomes human.
pub async fn staff_reply(
    state: &Chat,
    scope: &TenantScope,
    conversation_id: Uuid,
    text: &str,
) -> Result<Uuid, ChatError> {
    let text = crate::types::Text::<1, 4096>::parse(text).map_err(|e| {
        ChatError::Invalid(vec![crate::error::FieldError::new(
            "text",
            e.into_message(),
        )])
    })?;
    let text = text.as_str();
    let (conversation, settings, id) = state
        .db
        .tenant_tx(scope, async |tx| {
            let conversation = repo::conversation(tx, conversation_id).await?.ok_or(ChatError::NotFound("no such conversation"))?;
            if conversation.last_inbound_at.is_none_or(|t| Utc::now() - t > SERVICE_WINDOW) {
                return Err(ChatError::Conflict(
                    "outside the 24-hour customer service window: only template messages may be sent".into(),
                ));
            }
            let settings = repo::settings(tx).await?;
            let id = repo::insert_staff_reply(tx, conversation_id, text.trim()).await?;
            let taken_over = repo::take_over(tx, conversation_id).await?;
            crate::audit::record(tx, "chat.staff_reply", &conversation_id.to_string(), serde_json::json!({})).await?;
            // Staff taking the conversation from the assistant is a handoff, like the keyword's
            // (the event last: it holds the brand's event counter to COMMIT).
            if taken_over {
                crate::events::record(
                    tx,
                    crate::events::EventType::ConversationHandoff,
                    &conversation_id.to_string(),
                    serde_json::json!({
                        "conversation_id": conversation_id,
                        "message_id": id,
                        "reason": "staff",
                    }),
                    None,
                )
                .await?;
            }
            Ok((conversation, settings, id))
        })
        .await?;
    let (Some(number), Some(token)) = (settings.phone_number_id, settings.access_token) else {
        return Err(ChatError::Conflict(
            "the brand's WhatsApp number or access token is not set".into(),
        ));
    };
    match state
        .graph
        .send_text(&number, &token, &conversation.wa_id, text.trim())
        .await
    {
        Ok(wamid) => {
            state
                .db
                .tenant_tx(scope, async |tx| repo::mark_sent(tx, id, &wamid).await)
                .await?;
            Ok(id)
        }
        Err(e) => {
            let title: String = e.to_string().chars().take(300).collect();
            state
                .db
                .tenant_tx(scope, async |tx| {
                    repo::mark_failed(tx, id, None, &title).await
                })
                .await?;
            Err(ChatError::Upstream(
                "the WhatsApp Cloud API refused or failed the message".into(),
            ))
        }
    }
}

/// Re-indexes products of the scope's brand (`None`: every product, after clearing).
pub async fn reindex(
    state: &Chat,
    scope: &TenantScope,
    products: Option<&[Uuid]>,
) -> Result<usize, JobError> {
    let docs = state
        .db
        .tenant_tx(scope, async |tx| repo::product_docs(tx, products).await)
        .await?;
    let index = &state.index;
    if products.is_none() {
        index
            .clear(scope)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
    }
    let (active, gone): (Vec<_>, Vec<_>) = docs.into_iter().partition(|d| d.active);
    let docs: Vec<ProductDoc> = active
        .iter()
        .map(|d| ProductDoc {
            product_id: d.product_id,
            number: d.number,
            text: d.text.clone(),
            locale: d.locale.clone(),
            translations: d.translations.clone(),
        })
        .collect();
    for chunk in docs.chunks(256) {
        index
            .upsert(scope, chunk)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
    }
    if !gone.is_empty() {
        let ids: Vec<Uuid> = gone.iter().map(|d| d.product_id).collect();
        index
            .delete(scope, &ids)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
    }
    Ok(docs.len())
}
