//! The brand's notification settings (read, validated change) and the job that sends one
//! notification.

use uuid::Uuid;

pub use super::repo::SettingsRow as Settings;
use super::{NotificationEvent, NotificationStatus, parse_ref, repo};
use crate::{
    audit,
    chat::graph::{GraphClient, GraphError},
    db::Db,
    error::{DomainError, FieldError},
    jobs::JobError,
    orders::status::OrderStatus,
    scope::TenantScope,
};

/// The notification service's errors: the shared ones (422 naming fields, database).
pub type NotifyError = DomainError;

/// What the job needs: the API role's pool and the Graph API client the assistant uses.
#[derive(Clone)]
pub struct Notifier {
    pub db: Db,
    pub graph: GraphClient,
}

/// How many template languages a brand may list.
pub const MAX_TEMPLATE_LANGUAGES: usize = 50;

/// A Meta template name: lowercase letters, digits and underscores, at most 512.
fn template_name_ok(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A Meta template language code: `es`, `fil`, `en_US`, `pt_BR`.
fn language_code_ok(code: &str) -> bool {
    let (primary, region) = match code.split_once('_') {
        Some((p, r)) => (p, Some(r)),
        None => (code, None),
    };
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
}

/// The language part of a code (`en` of `en_US`), lowercased.
fn primary(code: &str) -> String {
    code.split(['_', '-'])
        .next()
        .unwrap_or(code)
        .to_ascii_lowercase()
}

/// The approved template language to send in: the known language of the customer (an ISO
/// 639-1 code such as `es`) when the template is approved in it (the exact code, else the
/// brand's default if it is that language, else the first approved code of that language:
/// `es` finds `es_MX`), otherwise the brand's default.
pub fn pick_language(approved: &[String], default: &str, known: Option<&str>) -> String {
    let Some(known) = known.map(str::trim).filter(|k| !k.is_empty()) else {
        return default.to_owned();
    };
    if let Some(exact) = approved.iter().find(|a| a.eq_ignore_ascii_case(known)) {
        return exact.clone();
    }
    let wanted = primary(known);
    if primary(default) == wanted {
        return default.to_owned();
    }
    approved
        .iter()
        .find(|a| primary(a) == wanted)
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

/// A change to the settings as sent: `None` keeps a value; `Some(None)` clears a template.
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub paid_enabled: Option<bool>,
    pub paid_template: Option<Option<String>>,
    pub shipped_enabled: Option<bool>,
    pub shipped_template: Option<Option<String>>,
    pub template_languages: Option<Vec<String>>,
    pub default_template_language: Option<String>,
}

/// Checks each field of a change on its own, in field order.
fn check_fields(c: &SettingsChange) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let templates = [
        ("paid_template", &c.paid_template),
        ("shipped_template", &c.shipped_template),
    ];
    for (field, template) in templates {
        if let Some(Some(name)) = template
            && !template_name_ok(name)
        {
            errors.push(FieldError::new(
                field,
                "a WhatsApp template name: lowercase letters, digits and underscores (at most 512)",
            ));
        }
    }
    if let Some(list) = &c.template_languages {
        let mut seen = std::collections::HashSet::new();
        if list.is_empty() || list.len() > MAX_TEMPLATE_LANGUAGES {
            errors.push(FieldError::new(
                "template_languages",
                format!("1 to {MAX_TEMPLATE_LANGUAGES} language codes"),
            ));
        }
        for (i, code) in list.iter().enumerate() {
            if !language_code_ok(code) {
                errors.push(FieldError::new(
                    format!("template_languages[{i}]"),
                    "a WhatsApp template language code, e.g. en_US, es, pt_BR",
                ));
            } else if !seen.insert(code.as_str()) {
                errors.push(FieldError::new(
                    format!("template_languages[{i}]"),
                    "listed twice",
                ));
            }
        }
    }
    if let Some(code) = &c.default_template_language
        && !language_code_ok(code)
    {
        errors.push(FieldError::new(
            "default_template_language",
            "a WhatsApp template language code, e.g. en_US, es, pt_BR",
        ));
    }
    errors
}

/// The settings after `change`, or the fields the result would break.
fn merge(current: Settings, change: SettingsChange) -> Result<Settings, Vec<FieldError>> {
    let next = Settings {
        paid_enabled: change.paid_enabled.unwrap_or(current.paid_enabled),
        paid_template: change.paid_template.unwrap_or(current.paid_template),
        shipped_enabled: change.shipped_enabled.unwrap_or(current.shipped_enabled),
        shipped_template: change.shipped_template.unwrap_or(current.shipped_template),
        template_languages: change
            .template_languages
            .unwrap_or(current.template_languages),
        default_template_language: change
            .default_template_language
            .unwrap_or(current.default_template_language),
    };
    let mut errors = Vec::new();
    if next.paid_enabled && next.paid_template.is_none() {
        errors.push(FieldError::new(
            "paid_template",
            "required while paid_enabled is true",
        ));
    }
    if next.shipped_enabled && next.shipped_template.is_none() {
        errors.push(FieldError::new(
            "shipped_template",
            "required while shipped_enabled is true",
        ));
    }
    if !next
        .template_languages
        .contains(&next.default_template_language)
    {
        errors.push(FieldError::new(
            "default_template_language",
            "one of template_languages",
        ));
    }
    if errors.is_empty() {
        Ok(next)
    } else {
        Err(errors)
    }
}

/// The brand's notification settings (the defaults, nothing sent, when it never saved any).
pub async fn settings(db: &Db, scope: &TenantScope) -> Result<Settings, NotifyError> {
    Ok(db
        .tenant_tx(scope, async |tx| repo::settings(tx).await)
        .await?)
}

/// Validates and applies a change, audited in the same transaction; returns the settings as
/// they now are. Every invalid field is named in one 422; nothing changes then.
pub async fn update_settings(
    db: &Db,
    scope: &TenantScope,
    change: SettingsChange,
) -> Result<Settings, NotifyError> {
    let change = SettingsChange {
        paid_template: change.paid_template.map(|t| t.map(|s| s.trim().to_owned())),
        shipped_template: change
            .shipped_template
            .map(|t| t.map(|s| s.trim().to_owned())),
        ..change
    };
    let errors = check_fields(&change);
    if !errors.is_empty() {
        return Err(NotifyError::Invalid(errors));
    }
    db.tenant_tx(scope, async |tx| {
        let current = repo::settings_for_update(tx).await?;
        let next = merge(current, change).map_err(NotifyError::Invalid)?;
        repo::upsert_settings(tx, &next).await?;
        audit::record(
            tx,
            "notifications.settings",
            scope.slug(),
            serde_json::json!({
                "paid_enabled": next.paid_enabled,
                "shipped_enabled": next.shipped_enabled,
            }),
        )
        .await?;
        Ok(next)
    })
    .await
}

/// What the job found before sending.
enum Plan {
    /// Nothing to send (the brand turned the event off, the order has no phone, or the order
    /// never reached the event): done.
    Skip(&'static str),
    /// Sent, failed or in flight already.
    Taken(NotificationStatus),
    /// Send this.
    Send {
        claimed: repo::Claimed,
        to: String,
        number: i32,
    },
}

/// Whether an order in `status` has reached `event` (a shipped order was paid too; a partly
/// shipped one is not shipped yet: the customer is told when everything is out).
fn reached(status: OrderStatus, event: NotificationEvent) -> bool {
    match event {
        NotificationEvent::Paid => status.is_paid(),
        NotificationEvent::Shipped => status == OrderStatus::Shipped,
    }
}

/// Reads the order and the settings, and records and takes the notification, in one
/// transaction of the brand.
async fn plan(
    db: &Db,
    scope: &TenantScope,
    order_id: Uuid,
    event: NotificationEvent,
) -> Result<Plan, JobError> {
    Ok(db
        .tenant_tx(scope, async |tx| {
            let settings = repo::settings(tx).await?;
            let (enabled, template) = match event {
                NotificationEvent::Paid => (settings.paid_enabled, &settings.paid_template),
                NotificationEvent::Shipped => {
                    (settings.shipped_enabled, &settings.shipped_template)
                }
            };
            let Some(template) = template.as_deref().filter(|_| enabled) else {
                return Ok::<_, crate::db::DbError>(Plan::Skip("the brand does not send it"));
            };
            let Some(order) = repo::recipient(tx, order_id).await? else {
                return Ok(Plan::Skip("no such order"));
            };
            if !reached(order.status, event) {
                return Ok(Plan::Skip("the order has not reached the event"));
            }
            let Some(phone) = order.phone else {
                return Ok(Plan::Skip("the order has no phone number"));
            };
            let language = pick_language(
                &settings.template_languages,
                &settings.default_template_language,
                order.language.as_deref(),
            );
            Ok(
                match repo::claim(tx, order_id, event, template, &language).await? {
                    Ok(claimed) => Plan::Send {
                        claimed,
                        // WhatsApp ids are the E.164 number without its `+`.
                        to: phone.trim_start_matches('+').to_owned(),
                        number: order.number,
                    },
                    Err(status) => Plan::Taken(status),
                },
            )
        })
        .await?)
}

/// The `notify_customer` job: sends the customer the template message of one order event,
/// from the brand's own WhatsApp number, once. A Graph API failure worth retrying (5xx, 429,
/// timeouts, no connection) puts the notification back for the job's next attempt (on the
/// last one it is recorded as failed); a refusal records it as failed with Meta's error and
/// parks the job. A run that finds the notification sent or failed does nothing; one that finds
/// it being sent (an earlier run stopped mid-send, or still runs) parks the job rather than
/// risk a second message.
pub async fn send(
    notifier: &Notifier,
    scope: &TenantScope,
    reference: &str,
    last_attempt: bool,
) -> Result<(), JobError> {
    let (order_id, event) = parse_ref(reference)?;
    // The brand's own number and token, through the brand's transaction (as replies read
    // them): checked before the notification is taken, so a brand without them parks the job
    // and sends nothing.
    let chat = crate::chat::console::settings(&notifier.db, scope)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let (Some(phone_number_id), Some(token)) = (chat.phone_number_id, chat.access_token) else {
        return Err(JobError::Permanent(
            "the brand's WhatsApp number or access token is not set".into(),
        ));
    };
    let (claimed, to, number) = match plan(&notifier.db, scope, order_id, event).await? {
        Plan::Skip(why) => {
            tracing::debug!(notification.event = %event, reason = why, "no notification sent");
            return Ok(());
        }
        Plan::Taken(NotificationStatus::Sending) => {
            return Err(JobError::Permanent(
                "an earlier attempt was sending this notification; not sent again, so the \
                 customer never receives it twice"
                    .into(),
            ));
        }
        Plan::Taken(_) => return Ok(()),
        Plan::Send {
            claimed,
            to,
            number,
        } => (claimed, to, number),
    };
    let order_number = number.to_string();
    let result = notifier
        .graph
        .send_template(
            &phone_number_id,
            &token,
            &to,
            &claimed.template,
            &claimed.language,
            &[&order_number],
        )
        .await;
    record_outcome(notifier, scope, &claimed, result, last_attempt).await
}

/// Records what the Graph API said and tells the queue what to do next.
async fn record_outcome(
    notifier: &Notifier,
    scope: &TenantScope,
    claimed: &repo::Claimed,
    result: Result<String, GraphError>,
    last_attempt: bool,
) -> Result<(), JobError> {
    let error = match result {
        Ok(wamid) => {
            notifier
                .db
                .tenant_tx(scope, async |tx| {
                    repo::mark_sent(tx, claimed.id, &wamid).await
                })
                .await?;
            tracing::info!(notification.id = %claimed.id, "customer notified");
            return Ok(());
        }
        Err(e) => e,
    };
    let code = match &error {
        GraphError::Permanent { code, .. } | GraphError::RateLimited { code, .. } => *code,
        GraphError::Transient { .. } => None,
    };
    let title: String = error.to_string().chars().take(300).collect();
    let give_up = !error.is_retryable() || last_attempt;
    notifier
        .db
        .tenant_tx(scope, async |tx| {
            if give_up {
                repo::mark_failed(tx, claimed.id, code, &title).await
            } else {
                repo::release(tx, claimed.id, code, &title).await
            }
        })
        .await?;
    Err(if error.is_retryable() {
        JobError::Retry(error.to_string())
    } else {
        JobError::Permanent(error.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langs(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn the_known_language_is_matched_to_an_approved_code() {
        let approved = langs(&["en_US", "es", "ja", "pt_BR"]);
        assert_eq!(pick_language(&approved, "en_US", Some("es")), "es");
        assert_eq!(pick_language(&approved, "en_US", Some("ja")), "ja");
        assert_eq!(pick_language(&approved, "en_US", Some("pt")), "pt_BR");
        assert_eq!(pick_language(&approved, "en_US", Some("en")), "en_US");
        // Not approved, or not known: the default.
        assert_eq!(pick_language(&approved, "en_US", Some("de")), "en_US");
        assert_eq!(pick_language(&approved, "en_US", None), "en_US");
        assert_eq!(pick_language(&approved, "es", Some(" ")), "es");
        // Several codes of one language: the default if it is one, else the first listed.
        let approved = langs(&["es_MX", "es_ES", "en_GB", "en_US"]);
        assert_eq!(pick_language(&approved, "en_US", Some("en")), "en_US");
        assert_eq!(pick_language(&approved, "en_US", Some("es")), "es_MX");
    }

    #[test]
    fn template_names_and_language_codes_follow_meta() {
        assert!(template_name_ok("order_paid_v2"));
        for bad in [
            "",
            "Order",
            "order-paid",
            "order paid",
            "ñ",
            &"a".repeat(513),
        ] {
            assert!(!template_name_ok(bad), "{bad}");
        }
        for good in ["en", "fil", "en_US", "pt_BR"] {
            assert!(language_code_ok(good), "{good}");
        }
        for bad in ["", "e", "EN", "en_us", "en-US", "english", "en_USA", "en\0"] {
            assert!(!language_code_ok(bad), "{bad}");
        }
    }

    #[test]
    fn an_enabled_event_needs_a_template_and_the_default_must_be_listed() {
        let err = merge(
            Settings::default(),
            SettingsChange {
                paid_enabled: Some(true),
                template_languages: Some(langs(&["es"])),
                ..Default::default()
            },
        )
        .unwrap_err();
        let fields: Vec<&str> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["paid_template", "default_template_language"]);
        let ok = merge(
            Settings::default(),
            SettingsChange {
                paid_enabled: Some(true),
                paid_template: Some(Some("order_paid".into())),
                template_languages: Some(langs(&["es", "en_US"])),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(ok.paid_enabled && !ok.shipped_enabled);
        assert_eq!(ok.default_template_language, "en_US");
    }

    #[test]
    fn only_a_paid_or_shipped_order_is_told_it_was_paid() {
        assert!(reached(OrderStatus::Paid, NotificationEvent::Paid));
        assert!(reached(OrderStatus::Shipped, NotificationEvent::Paid));
        assert!(!reached(OrderStatus::Paid, NotificationEvent::Shipped));
        assert!(reached(
            OrderStatus::PartiallyShipped,
            NotificationEvent::Paid
        ));
        assert!(!reached(
            OrderStatus::PartiallyShipped,
            NotificationEvent::Shipped
        ));
        assert!(!reached(
            OrderStatus::PaymentConflict,
            NotificationEvent::Paid
        ));
    }
}
