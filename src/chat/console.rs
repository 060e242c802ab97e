//! The staff side of the assistant: the brand's settings (read, validated change, the webhook
//! verify token) and the support console's reads and hand-back. The staff reply, which sends
//! through the Graph API, lives with the other flows in [`super::service`]; which brand a
//! WhatsApp number belongs to, in [`super::numbers`].

use std::collections::BTreeMap;

use secrecy::ExposeSecret;
use uuid::Uuid;

pub use super::repo::{ConversationRow, MessageRow, Settings};
use super::{
    numbers, repo,
    service::{Chat, ChatError},
    status::{ConversationState, NumberRefusal},
};
use crate::{
    audit,
    db::Db,
    error::{FieldError, FieldErrors},
    scope::TenantScope,
    types::{LanguageCode, PhoneNumberId, refuse_nul},
};

/// How many conversations the console lists.
const CONVERSATION_LIMIT: i64 = 200;

/// The brand's assistant settings, secrets included (they never leave the server); a brand
/// that never saved any gets the defaults (English, no greetings or fallbacks), and its number
/// if the company owner assigned one.
pub async fn settings(db: &Db, scope: &TenantScope) -> Result<Settings, ChatError> {
    Ok(db
        .tenant_tx(scope, async |tx| repo::settings(tx).await)
        .await?)
}

/// The verify token of the webhook handshake for a brand with its own Meta app: the brand's
/// own, else the deployment's (`WHATSAPP_VERIFY_TOKEN`), else none.
pub async fn verify_token(chat: &Chat, scope: &TenantScope) -> Result<Option<String>, ChatError> {
    let stored = chat
        .db
        .tenant_tx(scope, async |tx| repo::settings(tx).await)
        .await?;
    Ok(stored.verify_token.or_else(|| {
        chat.config
            .verify_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
    }))
}

/// Changes to the assistant settings as sent: `None` keeps a value, `Some(None)` clears a
/// nullable one. The number and the secrets are trimmed before they are checked and stored.
#[derive(Debug, Default)]
pub struct SettingsChange {
    /// The WhatsApp business number's id: set only when the brand's access token (the one in
    /// this change, else the stored one) reads it from the Graph API; `Some(None)` lets the
    /// brand's number go.
    pub phone_number_id: Option<Option<String>>,
    /// The Graph API access token.
    pub access_token: Option<Option<String>>,
    /// Who the assistant is, for the reply prompt.
    pub persona: Option<String>,
    /// How it speaks, for the reply prompt.
    pub tone: Option<String>,
    /// ISO 639-1 codes the assistant answers in.
    pub languages: Option<Vec<String>>,
    /// The language answered in when no supported one is preferred or detected.
    pub default_language: Option<String>,
    /// Language code to text.
    pub greetings: Option<BTreeMap<String, String>>,
    /// Language code to text, said when nothing matches.
    pub fallbacks: Option<BTreeMap<String, String>>,
    /// Words that hand the conversation to a human.
    pub handoff_keywords: Option<Vec<String>>,
    /// The brand's own Meta app secret.
    pub app_secret: Option<Option<String>>,
    /// The brand's own webhook verify token.
    pub verify_token: Option<Option<String>>,
}

/// Checks a change, in the order its errors are listed. Trimmed fields come trimmed.
fn validate(c: &SettingsChange) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(Some(n)) = &c.phone_number_id {
        errors.check("phone_number_id", PhoneNumberId::parse(n));
    }
    let lang_ok = |l: &str| LanguageCode::parse(l).is_ok();
    if let Some(langs) = &c.languages
        && (langs.is_empty() || !langs.iter().all(|l| lang_ok(l)))
    {
        errors.push(FieldError::new(
            "languages",
            "ISO 639-1 codes, e.g. [\"en\", \"es\"]",
        ));
    }
    if let Some(l) = &c.default_language
        && !lang_ok(l)
    {
        errors.push(FieldError::new("default_language", "an ISO 639-1 code"));
    }
    // The access token travels in the Graph API's Authorization header: visible ASCII only
    // (Meta's tokens are), or the call could not even be built.
    if let Some(Some(token)) = &c.access_token
        && !token.trim().bytes().all(|b| b.is_ascii_graphic())
    {
        errors.push(FieldError::new(
            "access_token",
            "visible ASCII characters only, as Meta's access tokens are",
        ));
    }
    // Free text reaches `text` and `jsonb` columns, which cannot hold a NUL.
    let texts = [
        (
            "access_token",
            c.access_token.as_ref().and_then(Option::as_ref),
        ),
        ("persona", c.persona.as_ref()),
        ("tone", c.tone.as_ref()),
        ("app_secret", c.app_secret.as_ref().and_then(Option::as_ref)),
        (
            "verify_token",
            c.verify_token.as_ref().and_then(Option::as_ref),
        ),
    ];
    for (field, text) in texts {
        if let Some(text) = text {
            errors.check(field, refuse_nul(text));
        }
    }
    if let Some(list) = &c.handoff_keywords {
        for (i, text) in list.iter().enumerate() {
            errors.check(format!("handoff_keywords[{i}]"), refuse_nul(text));
        }
    }
    let maps = [("greetings", &c.greetings), ("fallbacks", &c.fallbacks)];
    for (field, map) in maps {
        if let Some(map) = map {
            for (key, text) in map {
                errors.check(format!("{field}.{key}"), refuse_nul(text));
            }
        }
    }
    for (field, map) in maps {
        if let Some(map) = map
            && !map.keys().all(|k| lang_ok(k))
        {
            errors.push(FieldError::new(field, "an object of language code to text"));
        }
    }
    errors
}

/// `Some(Some(text))` trimmed; `None` and `Some(None)` as they are.
fn trimmed(value: Option<Option<String>>) -> Option<Option<String>> {
    value.map(|v| v.map(|t| t.trim().to_owned()))
}

/// What a settings change does to the brand's WhatsApp number.
enum NumberChange {
    /// Nothing: not in the change, or the brand's proved number already.
    Keep,
    /// Verified with the brand's token: claim it.
    Claim(String),
    /// Let the brand's number go.
    Release,
}

/// Decides what happens to the number, verifying a new one with the Graph API (before any
/// transaction opens: no HTTP call holds a connection). The token is the one in the change,
/// else the stored one.
async fn number_change(
    chat: &Chat,
    current: &Settings,
    change: &SettingsChange,
) -> Result<NumberChange, ChatError> {
    let number = match &change.phone_number_id {
        None => return Ok(NumberChange::Keep),
        Some(None) => return Ok(NumberChange::Release),
        Some(Some(n)) => n,
    };
    if current.phone_number_id.as_ref() == Some(number) && current.phone_number_proof.is_some() {
        return Ok(NumberChange::Keep);
    }
    let token = match &change.access_token {
        Some(token) => token.as_deref(),
        None => current.access_token.as_deref(),
    };
    if numbers::verify(&chat.graph, number, token).await? {
        Ok(NumberChange::Claim(number.clone()))
    } else {
        Err(ChatError::NumberRefused(NumberRefusal::NotVerified))
    }
}

/// Validates and applies a change, audited in the same transaction, and returns the settings
/// as they now are. A new number must be verified with the brand's access token; a number the
/// token cannot read and a number another brand holds are refused alike (422 on
/// `phone_number_id`, nothing applied; the refusal is audited apart).
pub async fn update_settings(
    chat: &Chat,
    scope: &TenantScope,
    change: SettingsChange,
) -> Result<Settings, ChatError> {
    let change = SettingsChange {
        phone_number_id: trimmed(change.phone_number_id),
        access_token: trimmed(change.access_token),
        app_secret: trimmed(change.app_secret),
        verify_token: trimmed(change.verify_token),
        ..change
    };
    let errors = validate(&change);
    if !errors.is_empty() {
        return Err(ChatError::Invalid(errors));
    }
    let current = settings(&chat.db, scope).await?;
    let claimed = change.phone_number_id.clone().flatten();
    let applied = match number_change(chat, &current, &change).await {
        Ok(number) => apply(&chat.db, scope, change, number).await,
        Err(e) => Err(e),
    };
    if let (Err(ChatError::NumberRefused(refusal)), Some(number)) = (&applied, &claimed) {
        numbers::record_refusal(&chat.db, scope, number, *refusal).await?;
    }
    applied
}

/// Writes a validated change and the number's fate in one transaction.
async fn apply(
    db: &Db,
    scope: &TenantScope,
    change: SettingsChange,
    number: NumberChange,
) -> Result<Settings, ChatError> {
    let patch = repo::SettingsPatch {
        access_token: change.access_token,
        persona: change.persona,
        tone: change.tone,
        languages: change.languages,
        default_language: change.default_language,
        greetings: change.greetings.map(|m| serde_json::json!(m)),
        fallbacks: change.fallbacks.map(|m| serde_json::json!(m)),
        handoff_keywords: change.handoff_keywords,
        app_secret: change.app_secret,
        verify_token: change.verify_token,
    };
    db.tenant_tx(scope, async |tx| {
        repo::upsert_settings(tx, &patch).await?;
        match &number {
            NumberChange::Keep => {}
            NumberChange::Claim(n) => numbers::claim(tx, scope, n).await?,
            NumberChange::Release => numbers::release(tx, scope).await?,
        }
        audit::record(tx, "chat.settings", scope.slug(), serde_json::json!({})).await?;
        Ok(repo::settings(tx).await?)
    })
    .await
}

/// The brand's conversations, most recent first, with their last message and state.
pub async fn conversations(
    db: &Db,
    scope: &TenantScope,
) -> Result<Vec<ConversationRow>, ChatError> {
    Ok(db
        .tenant_tx(scope, async |tx| {
            repo::conversations(tx, CONVERSATION_LIMIT).await
        })
        .await?)
}

/// One conversation with its messages.
pub async fn conversation(
    db: &Db,
    scope: &TenantScope,
    id: Uuid,
) -> Result<(ConversationRow, Vec<MessageRow>), ChatError> {
    db.tenant_tx(scope, async |tx| {
        let c = repo::conversation(tx, id)
            .await?
            .ok_or(ChatError::NotFound("no such conversation"))?;
        let m = repo::messages(tx, id).await?;
        Ok((c, m))
    })
    .await
}

/// Hands a conversation back to the assistant. The attempt is audited even when no such
/// conversation exists (then 404).
pub async fn hand_back(db: &Db, scope: &TenantScope, id: Uuid) -> Result<(), ChatError> {
    let changed = db
        .tenant_tx(scope, async |tx| {
            let n = repo::set_state(tx, id, ConversationState::Bot).await?;
            audit::record(tx, "chat.handback", &id.to_string(), serde_json::json!({})).await?;
            Ok::<_, ChatError>(n)
        })
        .await?;
    if changed == 0 {
        return Err(ChatError::NotFound("no such conversation"));
    }
    Ok(())
}
