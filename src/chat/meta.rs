//! Webhook payloads of Meta's WhatsApp Cloud API (the `messages` field), and their flattening
//! into the two events the assistant acts on: a customer wrote ([`InboundMessage`]), or a
//! message we sent changed state ([`StatusUpdate`]).
//!
//! One POST may batch several entries, changes, messages and statuses, for several of a
//! business's phone numbers: every event carries its `phone_number_id`, which is how the
//! integrator finds the brand.
//!
//! Parsing is deliberately tolerant, because Meta adds fields and message types without notice
//! and a webhook we reject is retried for days: unknown fields are ignored, unknown message
//! types are kept with their type name and no text, unknown statuses become
//! [`DeliveryStatus::Unknown`], timestamps are accepted as strings (what Meta sends) or
//! numbers. Changes for other webhook fields (`account_update`, template updates, ...) are
//! skipped by [`events`].
//!
//! The [`DeliveryStatus`] order and [`DeliveryStatus::may_replace`] make status updates
//! idempotent and safe against Meta's out-of-order delivery.

use serde::{Deserialize, Deserializer};

/// The raw body could not be read as a webhook payload.
#[derive(Debug, thiserror::Error)]
#[error("not a WhatsApp webhook payload (line {line}, column {column})")]
pub struct PayloadError {
    line: usize,
    column: usize,
}

/// A webhook body: `{"object": "whatsapp_business_account", "entry": [...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WebhookPayload {
    /// Always `whatsapp_business_account` for WhatsApp.
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

impl WebhookPayload {
    /// Parses a raw webhook body (after its signature was checked).
    ///
    /// The error says where the body stopped making sense, never what it contained (it may
    /// hold a customer's message).
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        serde_json::from_slice(body).map_err(|e| PayloadError {
            line: e.line(),
            column: e.column(),
        })
    }
}

/// One WhatsApp Business Account's changes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Entry {
    /// The WhatsApp Business Account id.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One change: `field` names the webhook (`messages` for everything handled here).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub field: String,
    /// The parsed value of a `messages` change; empty for other fields, whose values have
    /// other shapes and are not read.
    pub value: ChangeValue,
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            field: String,
            #[serde(default)]
            value: serde_json::Value,
        }
        let raw = Raw::deserialize(deserializer)?;
        // Only `messages` values are typed: another webhook's value must not fail the body.
        let value = if raw.field == "messages" && !raw.value.is_null() {
            ChangeValue::deserialize(raw.value).map_err(serde::de::Error::custom)?
        } else {
            ChangeValue::default()
        };
        Ok(Self {
            field: raw.field,
            value,
        })
    }
}

/// The value of a `messages` change.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChangeValue {
    #[serde(default)]
    pub messaging_product: String,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub messages: Vec<Message>,
    #[serde(default)]
    pub statuses: Vec<Status>,
}

/// The business phone number the change is about.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub display_phone_number: String,
    /// The id the Graph API uses for the number; how a change is routed to its brand.
    #[serde(default)]
    pub phone_number_id: String,
}

/// The sender of a message, as WhatsApp knows them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub profile: Option<Profile>,
    /// The customer's WhatsApp id (their phone number, digits only).
    #[serde(default)]
    pub wa_id: Option<String>,
    /// The business-scoped user id, sent for users who hide their phone number.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// A contact's public profile.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
}

/// One inbound message. Only the parts the assistant reads are typed; the rest is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    /// The sender's WhatsApp id.
    #[serde(default)]
    pub from: Option<String>,
    /// The sender's business-scoped user id, when Meta sends one instead of (or beside) `from`.
    #[serde(default)]
    pub from_user_id: Option<String>,
    /// The message id (`wamid.…`), unique: the key for deduplicating Meta's retries.
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub timestamp: Option<i64>,
    /// `text`, `button`, `interactive`, `image`, ...; anything Meta invents later is kept as is.
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<TextBody>,
    #[serde(default)]
    pub button: Option<Button>,
    #[serde(default)]
    pub interactive: Option<Interactive>,
    #[serde(default)]
    pub image: Option<Media>,
    #[serde(default)]
    pub video: Option<Media>,
    #[serde(default)]
    pub document: Option<Media>,
}

/// The body of a `text` message.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TextBody {
    #[serde(default)]
    pub body: String,
}

/// A tap on a quick-reply button of a template message.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Button {
    /// The button's label, as the customer saw it.
    #[serde(default)]
    pub text: Option<String>,
    /// The payload the business attached to the button.
    #[serde(default)]
    pub payload: Option<String>,
}

/// A reply to an interactive message (reply buttons or a list).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Interactive {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub button_reply: Option<InteractiveReply>,
    #[serde(default)]
    pub list_reply: Option<InteractiveReply>,
}

/// The chosen button or list row.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InteractiveReply {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// An image, video or document; only the caption is text the assistant can read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Media {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
}

/// A state change of a message the business sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Status {
    /// The `wamid` returned when the message was sent.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status: DeliveryStatus,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub recipient_id: Option<String>,
    /// Why a `failed` message failed.
    #[serde(default)]
    pub errors: Vec<StatusError>,
}

/// A failure reason attached to a `failed` status.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatusError {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub code: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
}

/// More detail on a [`StatusError`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: Option<String>,
}

/// Where a sent message is. Progress only goes forward: `Sent` → `Delivered` → `Read`.
/// `Failed` is recorded with its error; `Unknown` is any status this code does not know
/// (Meta also sends e.g. `played` for voice messages and `deleted`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    Failed,
    #[default]
    Unknown,
}

impl DeliveryStatus {
    /// Parses Meta's status string; anything unrecognised is `Unknown`.
    pub fn parse(s: &str) -> Self {
        match s {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            _ => Self::Unknown,
        }
    }

    /// Meta's spelling, also the one to store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }

    /// The position on the one line statuses may only move forward on:
    /// `Unknown` < `Sent` < `Failed` < `Delivered` < `Read`.
    fn rank(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Sent => 1,
            Self::Failed => 2,
            Self::Delivered => 3,
            Self::Read => 4,
        }
    }

    /// Whether a newly reported status (`self`) may overwrite the stored `current` one.
    ///
    /// Meta does not guarantee the order of status webhooks and retries them, so a stored
    /// status only ever moves forward, and a repeat is a no-op (`false`):
    ///
    /// * `Sent` < `Delivered` < `Read`: a late `sent` never undoes `delivered`.
    /// * `Failed` replaces `Sent`: the message never reached the customer.
    /// * `Failed` does not replace `Delivered`/`Read`: the customer's device has the message;
    ///   a failure reported afterwards (e.g. from another of their devices) does not take it
    ///   back.
    /// * `Delivered`/`Read` replace `Failed`: proof of delivery beats a failure report that
    ///   arrived first (keep the failure's error in the message's history if it matters).
    /// * `Unknown` never replaces anything, and anything known replaces `Unknown`.
    pub fn may_replace(self, current: DeliveryStatus) -> bool {
        self != Self::Unknown && self.rank() > current.rank()
    }
}

impl<'de> Deserialize<'de> for DeliveryStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Option::<String>::deserialize(deserializer)?;
        Ok(raw.as_deref().map_or(Self::Unknown, Self::parse))
    }
}

/// Accepts `"1749416383"` (what Meta sends for timestamps) or `1749416383`; anything else is
/// `None` rather than an error that would reject the whole webhook.
fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let raw = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match raw {
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        _ => None,
    })
}

/// A customer wrote to one of the business's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// The business number written to: routes the message to its brand.
    pub phone_number_id: String,
    /// The message id (`wamid.…`): deduplicate on it, Meta redelivers.
    pub wamid: String,
    /// The customer: their WhatsApp id (`from`), or their business-scoped user id when Meta
    /// sends no phone number.
    pub wa_id: String,
    /// The customer's WhatsApp profile name, if the webhook carried it.
    pub profile_name: Option<String>,
    /// What the customer said, when the message has text: a text body, a button label, the
    /// title of the chosen interactive reply, a media caption.
    pub text: Option<String>,
    /// Meta's message type (`text`, `button`, `interactive`, `image`, `sticker`, ...).
    pub kind: String,
    /// When the customer sent it, in Unix seconds (0 if Meta sent no usable timestamp).
    pub timestamp: i64,
}

/// A message the business sent changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub phone_number_id: String,
    /// The `wamid` that [`super::graph::GraphClient::send_text`] returned.
    pub wamid: String,
    pub status: DeliveryStatus,
    /// When the state changed, in Unix seconds (0 if Meta sent no usable timestamp).
    pub timestamp: i64,
    /// For `failed`: the first error's code and its title (or message).
    pub error: Option<(i64, String)>,
}

/// One thing to act on from a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    Inbound(InboundMessage),
    Status(StatusUpdate),
}

/// Flattens a payload into events, in the order Meta listed them. Changes of other webhook
/// fields, and messages without an id or a sender, are skipped.
pub fn events(payload: &WebhookPayload) -> Vec<WebhookEvent> {
    let mut out = Vec::new();
    for change in payload.entry.iter().flat_map(|e| &e.changes) {
        if change.field != "messages" {
            continue;
        }
        let value = &change.value;
        let phone_number_id = &value.metadata.phone_number_id;
        for message in &value.messages {
            if let Some(inbound) = inbound(phone_number_id, &value.contacts, message) {
                out.push(WebhookEvent::Inbound(inbound));
            }
        }
        for status in &value.statuses {
            if status.id.is_empty() {
                continue;
            }
            out.push(WebhookEvent::Status(StatusUpdate {
                phone_number_id: phone_number_id.clone(),
                wamid: status.id.clone(),
                status: status.status,
                timestamp: status.timestamp.unwrap_or(0),
                error: status.errors.first().map(|e| {
                    let text = e
                        .title
                        .as_deref()
                        .filter(|t| !t.is_empty())
                        .or(e.message.as_deref())
                        .unwrap_or_default();
                    (e.code.unwrap_or(0), text.to_owned())
                }),
            }));
        }
    }
    out
}

fn inbound(
    phone_number_id: &str,
    contacts: &[Contact],
    message: &Message,
) -> Option<InboundMessage> {
    let sender = message
        .from
        .as_deref()
        .or(message.from_user_id.as_deref())
        .filter(|s| !s.is_empty())?;
    if message.id.is_empty() {
        return None;
    }
    // The profile is the contact with the sender's id; a lone contact is the sender.
    let contact = contacts
        .iter()
        .find(|c| c.wa_id.as_deref() == Some(sender) || c.user_id.as_deref() == Some(sender))
        .or(match contacts {
            [only] => Some(only),
            _ => None,
        });
    let profile_name = contact
        .and_then(|c| c.profile.as_ref())
        .and_then(|p| p.name.clone())
        .filter(|n| !n.is_empty());
    Some(InboundMessage {
        phone_number_id: phone_number_id.to_owned(),
        wamid: message.id.clone(),
        wa_id: sender.to_owned(),
        profile_name,
        text: message_text(message),
        kind: if message.kind.is_empty() {
            "unknown".to_owned()
        } else {
            message.kind.clone()
        },
        timestamp: message.timestamp.unwrap_or(0),
    })
}

/// The text a customer typed or chose, whatever the message type.
fn message_text(message: &Message) -> Option<String> {
    let text = match message.kind.as_str() {
        "text" => message.text.as_ref().map(|t| t.body.clone()),
        "button" => message.button.as_ref().and_then(|b| b.text.clone()),
        "interactive" => message.interactive.as_ref().and_then(|i| {
            i.button_reply
                .as_ref()
                .or(i.list_reply.as_ref())
                .map(|r| r.title.clone())
        }),
        "image" => message.image.as_ref().and_then(|m| m.caption.clone()),
        "video" => message.video.as_ref().and_then(|m| m.caption.clone()),
        "document" => message.document.as_ref().and_then(|m| m.caption.clone()),
        _ => None,
    };
    text.filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INBOUND_TEXT: &str = include_str!("../../tests/fixtures/meta/inbound_text.json");
    const STATUS_DELIVERED: &str = include_str!("../../tests/fixtures/meta/status_delivered.json");

    fn parse(body: &str) -> Vec<WebhookEvent> {
        events(&WebhookPayload::parse(body.as_bytes()).unwrap())
    }

    /// Wraps one `messages` change value in the envelope Meta sends.
    fn envelope(value: serde_json::Value) -> String {
        serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
        })
        .to_string()
    }

    fn inbound_with(message: serde_json::Value) -> InboundMessage {
        let body = envelope(serde_json::json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": "34600000001"}],
            "messages": [message]
        }));
        match parse(&body).as_slice() {
            [WebhookEvent::Inbound(m)] => m.clone(),
            other => panic!("expected one inbound message, got {other:?}"),
        }
    }

    #[test]
    fn metas_inbound_text_example_is_one_inbound_message() {
        assert_eq!(
            parse(INBOUND_TEXT),
            vec![WebhookEvent::Inbound(InboundMessage {
                phone_number_id: "106540352242922".into(),
                wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=".into(),
                wa_id: "16505551234".into(),
                profile_name: Some("Sheena Nelson".into()),
                text: Some("Does it come in another color?".into()),
                kind: "text".into(),
                timestamp: 1_749_416_383,
            })]
        );
    }

    #[test]
    fn metas_status_example_is_one_delivered_update() {
        assert_eq!(
            parse(STATUS_DELIVERED),
            vec![WebhookEvent::Status(StatusUpdate {
                phone_number_id: "106540352242922".into(),
                wamid: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA".into(),
                status: DeliveryStatus::Delivered,
                timestamp: 1_750_263_773,
                error: None,
            })]
        );
    }

    #[test]
    fn button_interactive_and_caption_texts_are_extracted() {
        let button = inbound_with(serde_json::json!({
            "from": "34600000001", "id": "wamid.B", "timestamp": "1700000000", "type": "button",
            "button": {"text": "Sí, quiero", "payload": "YES"}
        }));
        assert_eq!(button.text.as_deref(), Some("Sí, quiero"));

        let reply = inbound_with(serde_json::json!({
            "from": "34600000001", "id": "wamid.I", "timestamp": "1700000000", "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "Ver champús"}}
        }));
        assert_eq!(reply.text.as_deref(), Some("Ver champús"));

        let list = inbound_with(serde_json::json!({
            "from": "34600000001", "id": "wamid.L", "timestamp": "1700000000", "type": "interactive",
            "interactive": {"type": "list_reply",
                "list_reply": {"id": "r1", "title": "Rizos", "description": "Para pelo rizado"}}
        }));
        assert_eq!(list.text.as_deref(), Some("Rizos"));

        let image = inbound_with(serde_json::json!({
            "from": "34600000001", "id": "wamid.P", "timestamp": "1700000000", "type": "image",
            "image": {"id": "m1", "mime_type": "image/jpeg", "sha256": "abc", "caption": "¿este?"}
        }));
        assert_eq!(
            (image.kind.as_str(), image.text.as_deref()),
            ("image", Some("¿este?"))
        );
        assert_eq!(image.profile_name.as_deref(), Some("Ana"));
    }

    #[test]
    fn unknown_types_and_fields_are_kept_without_text() {
        let sticker = inbound_with(serde_json::json!({
            "from": "34600000001", "id": "wamid.S", "timestamp": 1700000000, "type": "sticker",
            "sticker": {"id": "s1", "animated": false}, "brand_new_field": {"x": [1, 2]}
        }));
        assert_eq!(sticker.kind, "sticker");
        assert_eq!(sticker.text, None);
        // A numeric timestamp is accepted too.
        assert_eq!(sticker.timestamp, 1_700_000_000);

        let no_type = inbound_with(serde_json::json!({"from": "34600000001", "id": "wamid.X"}));
        assert_eq!((no_type.kind.as_str(), no_type.timestamp), ("unknown", 0));
    }

    #[test]
    fn failed_status_carries_its_error_and_unknown_statuses_parse() {
        let body = envelope(serde_json::json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [
                {"id": "wamid.F", "status": "failed", "timestamp": "1700000001",
                 "recipient_id": "34600000001",
                 "errors": [{"code": 131047, "title": "Re-engagement message",
                             "message": "Re-engagement message",
                             "error_data": {"details": "Message failed to send because more than 24 hours have passed"}}]},
                {"id": "wamid.V", "status": "played", "timestamp": "1700000002", "recipient_id": "34600000001"}
            ]
        }));
        let events = parse(&body);
        assert_eq!(
            events[0],
            WebhookEvent::Status(StatusUpdate {
                phone_number_id: "106540352242922".into(),
                wamid: "wamid.F".into(),
                status: DeliveryStatus::Failed,
                timestamp: 1_700_000_001,
                error: Some((131047, "Re-engagement message".into())),
            })
        );
        assert!(matches!(
            &events[1],
            WebhookEvent::Status(StatusUpdate {
                status: DeliveryStatus::Unknown,
                ..
            })
        ));
    }

    #[test]
    fn other_fields_are_skipped_and_batches_are_flattened() {
        let body = serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "1", "changes": [
                    {"field": "message_template_status_update",
                     "value": {"event": "APPROVED", "message_template_id": 123, "reason": null}},
                    {"field": "messages", "value": {
                        "metadata": {"phone_number_id": "111"},
                        "messages": [{"from": "1", "id": "wamid.1", "type": "text", "text": {"body": "a"}},
                                     {"from": "2", "id": "wamid.2", "type": "text", "text": {"body": "b"}}]}}
                ]},
                {"id": "2", "changes": [{"field": "messages", "value": {
                    "metadata": {"phone_number_id": "222"},
                    "statuses": [{"id": "wamid.3", "status": "read", "timestamp": "5"}]}}]}
            ]
        })
        .to_string();
        let ids: Vec<(String, String)> = parse(&body)
            .into_iter()
            .map(|e| match e {
                WebhookEvent::Inbound(m) => (m.phone_number_id, m.wamid),
                WebhookEvent::Status(s) => (s.phone_number_id, s.wamid),
            })
            .collect();
        assert_eq!(
            ids,
            [("111", "wamid.1"), ("111", "wamid.2"), ("222", "wamid.3")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

    #[test]
    fn a_malformed_body_is_an_error_that_does_not_echo_it() {
        let err = WebhookPayload::parse(br#"{"entry": "secret text"}"#).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(WebhookPayload::parse(b"not json").is_err());
    }

    #[test]
    fn statuses_only_move_forward() {
        use DeliveryStatus::*;
        assert!(Delivered.may_replace(Sent));
        assert!(Read.may_replace(Delivered));
        assert!(Read.may_replace(Sent));
        assert!(!Sent.may_replace(Delivered));
        assert!(!Delivered.may_replace(Read));
        assert!(!Delivered.may_replace(Delivered), "a repeat is a no-op");
        assert!(Failed.may_replace(Sent));
        assert!(!Failed.may_replace(Delivered));
        assert!(!Failed.may_replace(Read));
        assert!(Delivered.may_replace(Failed));
        assert!(!Unknown.may_replace(Sent));
        assert!(!Unknown.may_replace(Unknown));
        assert!(Sent.may_replace(Unknown));
        for s in [Sent, Delivered, Read, Failed, Unknown] {
            assert_eq!(DeliveryStatus::parse(s.as_str()), s);
        }
    }
}
