//! Assistant SQL. Every function takes the tenant transaction except the number lookup, which
//! runs before the brand is known, and the company owner's number functions (no brand's
//! transaction; the database lets only the owner or the system through there).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::status::{
    ConversationState, MessageAuthor, MessageDirection, MessageStatus, NumberProof,
};
use crate::{
    catalog::status::ProductStatus,
    db::{DbError, Tx},
};

macro_rules! stmt {
    ($tx:expr, $file:literal) => {
        $tx.prepare_cached(include_str!(concat!("sql/", $file)))
            .await?
    };
}

/// The brand a proved number routes to.
pub async fn brand_by_number(tx: &Tx<'_>, phone_number_id: &str) -> Result<Option<Uuid>, DbError> {
    let stmt = stmt!(tx, "brand_by_number.sql");
    Ok(tx
        .query_opt(&stmt, &[&phone_number_id])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// Gives `number` to `brand` with `proof` (letting the brand's previous number go) and returns
/// the brand that holds the number afterwards: another brand's id means nothing changed.
pub async fn prove_number(
    tx: &Tx<'_>,
    brand: Uuid,
    number: &str,
    proof: NumberProof,
) -> Result<Option<Uuid>, DbError> {
    let stmt = stmt!(tx, "prove_number.sql");
    Ok(tx
        .query_one(&stmt, &[&brand, &number, &proof])
        .await?
        .try_get(0)?)
}

/// Lets `brand`'s number go; the number it had, if any.
pub async fn release_number(tx: &Tx<'_>, brand: Uuid) -> Result<Option<String>, DbError> {
    let stmt = stmt!(tx, "release_number.sql");
    Ok(tx.query_one(&stmt, &[&brand]).await?.try_get(0)?)
}

/// A brand's id by slug, active or not.
pub async fn brand_by_slug(tx: &Tx<'_>, slug: &str) -> Result<Option<Uuid>, DbError> {
    let stmt = stmt!(tx, "brand_by_slug.sql");
    Ok(tx
        .query_opt(&stmt, &[&slug])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// A brand's slug by id.
pub async fn brand_slug(tx: &Tx<'_>, id: Uuid) -> Result<Option<String>, DbError> {
    let stmt = stmt!(tx, "brand_slug.sql");
    Ok(tx
        .query_opt(&stmt, &[&id])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// A brand's number as the company owner sees it.
pub struct NumberRow {
    pub phone_number_id: String,
    pub brand: String,
    pub proof: Option<NumberProof>,
    pub proved_at: Option<DateTime<Utc>>,
}

/// Every brand's number, by brand slug.
pub async fn numbers(tx: &Tx<'_>) -> Result<Vec<NumberRow>, DbError> {
    let stmt = stmt!(tx, "numbers.sql");
    tx.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(NumberRow {
                phone_number_id: r.try_get("phone_number_id")?,
                brand: r.try_get("slug")?,
                proof: r.try_get("proof")?,
                proved_at: r.try_get("proved_at")?,
            })
        })
        .collect()
}

/// A brand's assistant settings, secrets included (never leave the server).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The brand's row of the global routing table, proved or not.
    pub phone_number_id: Option<String>,
    /// How the number was proved; `None`: it routes nothing.
    pub phone_number_proof: Option<NumberProof>,
    pub access_token: Option<String>,
    pub persona: String,
    pub tone: String,
    pub languages: Vec<String>,
    pub default_language: String,
    pub greetings: serde_json::Value,
    pub fallbacks: serde_json::Value,
    pub handoff_keywords: Vec<String>,
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
}

impl Settings {
    /// The text for `lang` in a `{lang: text}` map, else the default language's.
    pub fn localised<'a>(map: &'a serde_json::Value, lang: &str, default: &str) -> Option<&'a str> {
        map.get(lang)
            .or_else(|| map.get(default))
            .and_then(|v| v.as_str())
    }
}

/// The transaction's brand's settings, the defaults where it never saved any.
pub async fn settings(tx: &Tx<'_>) -> Result<Settings, DbError> {
    let stmt = stmt!(tx, "settings.sql");
    let r = tx.query_one(&stmt, &[tx.tenant()]).await?;
    Ok(Settings {
        phone_number_id: r.try_get("phone_number_id")?,
        phone_number_proof: r.try_get("phone_number_proof")?,
        access_token: r.try_get("access_token")?,
        persona: r.try_get("persona")?,
        tone: r.try_get("tone")?,
        languages: r.try_get("languages")?,
        default_language: r.try_get("default_language")?,
        greetings: r.try_get("greetings")?,
        fallbacks: r.try_get("fallbacks")?,
        handoff_keywords: r.try_get("handoff_keywords")?,
        app_secret: r.try_get("app_secret")?,
        verify_token: r.try_get("verify_token")?,
    })
}

/// Changes to settings; `None` keeps a value, `Some(None)` clears a nullable one. The number
/// is not here: [`prove_number`] and [`release_number`] write it.
#[derive(Debug, Default)]
pub struct SettingsPatch {
    pub access_token: Option<Option<String>>,
    pub persona: Option<String>,
    pub tone: Option<String>,
    pub languages: Option<Vec<String>>,
    pub default_language: Option<String>,
    pub greetings: Option<serde_json::Value>,
    pub fallbacks: Option<serde_json::Value>,
    pub handoff_keywords: Option<Vec<String>>,
    pub app_secret: Option<Option<String>>,
    pub verify_token: Option<Option<String>>,
}

pub async fn upsert_settings(tx: &Tx<'_>, p: &SettingsPatch) -> Result<(), DbError> {
    let stmt = stmt!(tx, "upsert_settings.sql");
    let token = p.access_token.clone().flatten();
    let secret = p.app_secret.clone().flatten();
    let verify = p.verify_token.clone().flatten();
    tx.execute(
        &stmt,
        &[
            tx.tenant(),
            &token,
            &p.persona,
            &p.tone,
            &p.languages,
            &p.default_language,
            &p.greetings,
            &p.fallbacks,
            &p.handoff_keywords,
            &secret,
            &verify,
            &p.access_token.is_some(),
            &p.app_secret.is_some(),
            &p.verify_token.is_some(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn upsert_customer(
    tx: &Tx<'_>,
    wa_id: &str,
    name: Option<&str>,
) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "upsert_customer.sql");
    Ok(tx
        .query_one(&stmt, &[tx.tenant(), &wa_id, &name])
        .await?
        .try_get(0)?)
}

pub async fn upsert_conversation(
    tx: &Tx<'_>,
    customer_id: Uuid,
    wa_id: &str,
    at: DateTime<Utc>,
) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "upsert_conversation.sql");
    Ok(tx
        .query_one(&stmt, &[tx.tenant(), &customer_id, &wa_id, &at])
        .await?
        .try_get(0)?)
}

/// Stores an inbound message; `None` when this wamid was stored before.
pub async fn insert_inbound(
    tx: &Tx<'_>,
    conversation_id: Uuid,
    wamid: &str,
    kind: &str,
    body: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<Uuid>, DbError> {
    let stmt = stmt!(tx, "insert_inbound.sql");
    Ok(tx
        .query_opt(
            &stmt,
            &[tx.tenant(), &conversation_id, &wamid, &kind, &body, &at],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

pub async fn update_status(
    tx: &Tx<'_>,
    wamid: &str,
    status: &str,
    error: Option<(i64, &str)>,
) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "update_status.sql");
    let (code, title) = match error {
        Some((c, t)) => (Some(c), Some(t)),
        None => (None, None),
    };
    Ok(tx
        .execute(&stmt, &[tx.tenant(), &wamid, &status, &code, &title])
        .await?)
}

pub struct ReplyContext {
    pub wamid: Option<String>,
    pub body: Option<String>,
    pub conversation_id: Uuid,
    pub state: ConversationState,
    pub language: Option<String>,
    pub wa_id: String,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub preferred_language: Option<String>,
}

pub async fn reply_context(tx: &Tx<'_>, message_id: Uuid) -> Result<Option<ReplyContext>, DbError> {
    let stmt = stmt!(tx, "reply_context.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &message_id])
        .await?
        .map(|r| {
            Ok(ReplyContext {
                wamid: r.try_get("wamid")?,
                body: r.try_get("body")?,
                conversation_id: r.try_get("conversation_id")?,
                state: r.try_get("state")?,
                language: r.try_get("language")?,
                wa_id: r.try_get("wa_id")?,
                last_inbound_at: r.try_get("last_inbound_at")?,
                preferred_language: r.try_get("preferred_language")?,
            })
        })
        .transpose()
}

/// The last `limit` turns before `except`, oldest first: (author, body).
pub async fn history(
    tx: &Tx<'_>,
    conversation_id: Uuid,
    except: Uuid,
    limit: i64,
) -> Result<Vec<(MessageAuthor, String)>, DbError> {
    let stmt = stmt!(tx, "history.sql");
    tx.query(&stmt, &[tx.tenant(), &conversation_id, &except, &limit])
        .await?
        .iter()
        .map(|r| Ok((r.try_get("author")?, r.try_get("body")?)))
        .collect()
}

/// The reply row for an inbound message: (id, status, body). Created pending on first call.
pub async fn claim_reply(
    tx: &Tx<'_>,
    conversation_id: Uuid,
    body: &str,
    reply_to: Uuid,
) -> Result<(Uuid, MessageStatus, String), DbError> {
    let stmt = stmt!(tx, "claim_reply.sql");
    let r = tx
        .query_one(&stmt, &[tx.tenant(), &conversation_id, &body, &reply_to])
        .await?;
    Ok((
        r.try_get("id")?,
        r.try_get("status")?,
        r.try_get::<_, Option<String>>("body")?.unwrap_or_default(),
    ))
}

pub async fn mark_sent(tx: &Tx<'_>, id: Uuid, wamid: &str) -> Result<(), DbError> {
    let stmt = stmt!(tx, "mark_sent.sql");
    tx.execute(&stmt, &[tx.tenant(), &id, &wamid]).await?;
    Ok(())
}

pub async fn mark_failed(
    tx: &Tx<'_>,
    id: Uuid,
    code: Option<i64>,
    title: &str,
) -> Result<(), DbError> {
    let stmt = stmt!(tx, "mark_failed.sql");
    tx.execute(&stmt, &[tx.tenant(), &id, &code, &title])
        .await?;
    Ok(())
}

pub async fn set_state(
    tx: &Tx<'_>,
    conversation_id: Uuid,
    state: ConversationState,
) -> Result<u64, DbError> {
    let stmt = stmt!(tx, "set_state.sql");
    Ok(tx
        .execute(&stmt, &[tx.tenant(), &conversation_id, &state])
        .await?)
}

/// Hands a conversation the assistant has to staff; returns whether it was the assistant's.
pub async fn take_over(tx: &Tx<'_>, conversation_id: Uuid) -> Result<bool, DbError> {
    let stmt = stmt!(tx, "take_over.sql");
    Ok(tx.execute(&stmt, &[tx.tenant(), &conversation_id]).await? == 1)
}

pub async fn set_language(tx: &Tx<'_>, conversation_id: Uuid, lang: &str) -> Result<(), DbError> {
    let stmt = stmt!(tx, "set_language.sql");
    tx.execute(&stmt, &[tx.tenant(), &conversation_id, &lang])
        .await?;
    Ok(())
}

pub async fn touch_conversation(tx: &Tx<'_>, conversation_id: Uuid) -> Result<(), DbError> {
    let stmt = stmt!(tx, "touch_conversation.sql");
    tx.execute(&stmt, &[tx.tenant(), &conversation_id]).await?;
    Ok(())
}

pub struct FactRow {
    pub product_id: Uuid,
    pub name: String,
    pub price_minor: i64,
    pub available: i64,
}

pub async fn product_facts(tx: &Tx<'_>, ids: &[Uuid], lang: &str) -> Result<Vec<FactRow>, DbError> {
    let stmt = stmt!(tx, "product_facts.sql");
    tx.query(&stmt, &[tx.tenant(), &ids, &lang])
        .await?
        .iter()
        .map(|r| {
            Ok(FactRow {
                product_id: r.try_get("id")?,
                name: r.try_get("name")?,
                price_minor: r.try_get("price_minor")?,
                available: r.try_get("available")?,
            })
        })
        .collect()
}

pub struct DocRow {
    pub product_id: Uuid,
    pub number: i32,
    /// The product's own text, in the brand's default `locale`.
    pub text: String,
    pub locale: String,
    /// `(locale, text)` per translation into another of the brand's locales.
    pub translations: Vec<(String, String)>,
    pub active: bool,
}

/// Searchable text of the given products (`None`: all of the brand's).
pub async fn product_docs(tx: &Tx<'_>, ids: Option<&[Uuid]>) -> Result<Vec<DocRow>, DbError> {
    let stmt = stmt!(tx, "product_docs.sql");
    let ids: Option<Vec<Uuid>> = ids.map(<[Uuid]>::to_vec);
    tx.query(&stmt, &[tx.tenant(), &ids])
        .await?
        .iter()
        .map(|r| {
            Ok(DocRow {
                product_id: r.try_get("id")?,
                number: r.try_get("number")?,
                text: r.try_get("text")?,
                locale: r.try_get("locale")?,
                translations: r
                    .try_get::<_, tokio_postgres::types::Json<Vec<(String, String)>>>(
                        "translations",
                    )?
                    .0,
                active: r.try_get::<_, ProductStatus>("status")? == ProductStatus::Active,
            })
        })
        .collect()
}

pub struct ConversationRow {
    pub id: Uuid,
    pub wa_id: String,
    pub state: ConversationState,
    pub language: Option<String>,
    pub last_message_at: Option<DateTime<Utc>>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub customer_name: String,
    pub last_body: Option<String>,
    pub last_author: Option<MessageAuthor>,
}

pub async fn conversations(tx: &Tx<'_>, limit: i64) -> Result<Vec<ConversationRow>, DbError> {
    let stmt = stmt!(tx, "conversations.sql");
    tx.query(&stmt, &[tx.tenant(), &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(ConversationRow {
                id: r.try_get("id")?,
                wa_id: r.try_get("wa_id")?,
                state: r.try_get("state")?,
                language: r.try_get("language")?,
                last_message_at: r.try_get("last_message_at")?,
                last_inbound_at: r.try_get("last_inbound_at")?,
                customer_name: r.try_get("customer_name")?,
                last_body: r.try_get("last_body")?,
                last_author: r.try_get("last_author")?,
            })
        })
        .collect()
}

pub async fn conversation(tx: &Tx<'_>, id: Uuid) -> Result<Option<ConversationRow>, DbError> {
    let stmt = stmt!(tx, "conversation.sql");
    tx.query_opt(&stmt, &[tx.tenant(), &id])
        .await?
        .map(|r| {
            Ok(ConversationRow {
                id: r.try_get("id")?,
                wa_id: r.try_get("wa_id")?,
                state: r.try_get("state")?,
                language: r.try_get("language")?,
                last_message_at: None,
                last_inbound_at: r.try_get("last_inbound_at")?,
                customer_name: r.try_get("customer_name")?,
                last_body: None,
                last_author: None,
            })
        })
        .transpose()
}

pub struct MessageRow {
    pub id: Uuid,
    pub direction: MessageDirection,
    pub author: MessageAuthor,
    pub kind: String,
    pub body: Option<String>,
    pub status: MessageStatus,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn messages(tx: &Tx<'_>, conversation_id: Uuid) -> Result<Vec<MessageRow>, DbError> {
    let stmt = stmt!(tx, "messages.sql");
    tx.query(&stmt, &[tx.tenant(), &conversation_id])
        .await?
        .iter()
        .map(|r| {
            Ok(MessageRow {
                id: r.try_get("id")?,
                direction: r.try_get("direction")?,
                author: r.try_get("author")?,
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                status: r.try_get("status")?,
                error_code: r.try_get("error_code")?,
                error_title: r.try_get("error_title")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

pub async fn insert_staff_reply(
    tx: &Tx<'_>,
    conversation_id: Uuid,
    body: &str,
) -> Result<Uuid, DbError> {
    let stmt = stmt!(tx, "insert_staff_reply.sql");
    Ok(tx
        .query_one(&stmt, &[tx.tenant(), &conversation_id, &body])
        .await?
        .try_get(0)?)
}
