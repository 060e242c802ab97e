//! Assistant endpoints: Meta's webhook (handshake and deliveries), the brand's assistant
//! settings, the company owner's assignment of WhatsApp numbers, and the support console.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Json, PlainText},
    types::MaybeUndefined,
};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::{
    console::{self, ConversationRow, MessageRow, Settings, SettingsChange},
    numbers::{self, NumberRow},
    service,
    status::{ConversationState, MessageAuthor, MessageDirection, MessageStatus, NumberProof},
};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    payload::SignedJsonBody,
    scope::{Actor, TenantScope},
    tenants::StaffBrand,
    types::{Nullable, PhoneNumberId, Text, Unchecked},
};

/// Meta's webhook body (see Meta's WhatsApp Cloud API webhook reference).
#[derive(Object)]
#[oai(rename = "WhatsAppWebhook")]
pub struct WhatsAppWebhook {
    /// `whatsapp_business_account`.
    pub object: String,
    pub entry: Vec<serde_json::Value>,
}

#[derive(Object)]
#[oai(rename = "WebhookAck")]
pub struct WebhookAck {
    pub stored: i64,
    pub duplicates: i64,
    pub statuses: i64,
    pub unknown_numbers: i64,
}

#[derive(ApiResponse)]
pub enum Challenge {
    /// The `hub.challenge` echoed.
    #[oai(status = 200)]
    Ok(PlainText<String>),
}

/// A brand's assistant settings. Secrets are write-only: only whether they are set is shown.
#[derive(Object)]
#[oai(rename = "ChatSettings")]
pub struct ChatSettingsView {
    /// The brand's WhatsApp business number id.
    pub phone_number_id: Nullable<String>,
    /// How the number was proved to be the brand's: `owner` (the company owner assigned it) or
    /// `token` (the brand's access token reads it from the Graph API). `null` with a number: it
    /// was claimed before numbers had to be proved and routes no webhook events until the
    /// owner assigns it or the brand saves it again with its token.
    pub phone_number_proof: Nullable<NumberProof>,
    pub has_access_token: bool,
    pub persona: String,
    pub tone: String,
    pub languages: Vec<String>,
    pub default_language: String,
    /// `{language: text}`
    pub greetings: serde_json::Value,
    /// `{language: text}`: said when nothing matches.
    pub fallbacks: serde_json::Value,
    pub handoff_keywords: Vec<String>,
    pub has_app_secret_override: bool,
    pub has_verify_token_override: bool,
}

impl From<Settings> for ChatSettingsView {
    fn from(s: Settings) -> Self {
        Self {
            phone_number_id: s.phone_number_id.into(),
            phone_number_proof: s.phone_number_proof.into(),
            has_access_token: s.access_token.is_some(),
            persona: s.persona,
            tone: s.tone,
            languages: s.languages,
            default_language: s.default_language,
            greetings: s.greetings,
            fallbacks: s.fallbacks,
            handoff_keywords: s.handoff_keywords,
            has_app_secret_override: s.app_secret.is_some(),
            has_verify_token_override: s.verify_token.is_some(),
        }
    }
}

/// Changes; omitted fields stay, `null` clears a nullable one.
#[derive(Object)]
#[oai(rename = "UpdateChatSettings")]
pub struct UpdateChatSettings {
    /// The WhatsApp business number's id (5 to 32 digits). Set only when the brand's Graph API
    /// access token (the one in this request, else the stored one) reads the number, i.e. it
    /// belongs to the token's WhatsApp Business Account; otherwise, and also when the number
    /// is another brand's, 422 on this field and nothing changes. `null` lets the brand's
    /// number go.
    #[oai(nullable)]
    pub phone_number_id: MaybeUndefined<String>,
    /// The Graph API access token (write-only).
    #[oai(nullable)]
    pub access_token: MaybeUndefined<String>,
    pub persona: Option<String>,
    pub tone: Option<String>,
    /// ISO 639-1 codes the assistant answers in.
    pub languages: Option<Vec<String>>,
    pub default_language: Option<String>,
    pub greetings: Option<std::collections::BTreeMap<String, String>>,
    pub fallbacks: Option<std::collections::BTreeMap<String, String>>,
    pub handoff_keywords: Option<Vec<String>>,
    /// This brand's own Meta app secret, if it uses its own app (write-only).
    #[oai(nullable)]
    pub app_secret: MaybeUndefined<String>,
    /// This brand's own webhook verify token (write-only).
    #[oai(nullable)]
    pub verify_token: MaybeUndefined<String>,
}

/// A brand's WhatsApp number, as the company owner sees it.
#[derive(Object)]
#[oai(rename = "WhatsAppNumber")]
pub struct WhatsAppNumberView {
    pub phone_number_id: String,
    /// The slug of the brand the number's webhook events route to.
    pub brand: String,
    /// `owner` (assigned by the company owner) or `token` (verified with the brand's access
    /// token). `null`: claimed before numbers had to be proved; routes nothing.
    pub proof: Nullable<NumberProof>,
    pub proved_at: Nullable<DateTime<Utc>>,
}

impl From<NumberRow> for WhatsAppNumberView {
    fn from(n: NumberRow) -> Self {
        Self {
            phone_number_id: n.phone_number_id,
            brand: n.brand,
            proof: n.proof.into(),
            proved_at: n.proved_at.into(),
        }
    }
}

#[derive(Object)]
#[oai(rename = "AssignWhatsAppNumber")]
pub struct AssignWhatsAppNumber {
    /// The WhatsApp business number's id, as Meta shows it in the WhatsApp Manager.
    pub phone_number_id: Unchecked<PhoneNumberId>,
}

#[derive(Object)]
#[oai(rename = "Conversation")]
pub struct ConversationView {
    pub id: Uuid,
    pub wa_id: String,
    pub customer_name: String,
    /// `bot` (the assistant answers) or `human` (staff took over).
    pub state: ConversationState,
    pub language: Nullable<String>,
    pub last_message_at: Nullable<DateTime<Utc>>,
    pub last_message: Nullable<String>,
    pub last_author: Nullable<MessageAuthor>,
    /// Whether free-form replies are allowed now (within 24 hours of the customer's last
    /// message).
    pub window_open: bool,
}

#[derive(Object)]
#[oai(rename = "ChatMessage")]
pub struct MessageView {
    pub id: Uuid,
    pub direction: MessageDirection,
    /// `customer`, `bot` or `staff`.
    pub author: MessageAuthor,
    pub kind: String,
    pub body: Nullable<String>,
    /// inbound: `received`; outbound: `pending`, `sent`, `delivered`, `read`, `failed`.
    pub status: MessageStatus,
    pub error_code: Nullable<i64>,
    pub error_title: Nullable<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(rename = "ConversationDetail")]
pub struct ConversationDetail {
    pub conversation: ConversationView,
    pub messages: Vec<MessageView>,
}

#[derive(Object)]
#[oai(rename = "StaffReply")]
pub struct StaffReplyRequest {
    pub text: Unchecked<Text<1, 4096>>,
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    Done,
}

fn view(c: ConversationRow) -> ConversationView {
    ConversationView {
        window_open: c
            .last_inbound_at
            .is_some_and(|t| Utc::now() - t <= service::SERVICE_WINDOW),
        id: c.id,
        wa_id: c.wa_id,
        customer_name: c.customer_name,
        state: c.state,
        language: c.language.into(),
        last_message_at: c.last_message_at.into(),
        last_message: c.last_body.into(),
        last_author: c.last_author.into(),
    }
}

impl From<MessageRow> for MessageView {
    fn from(m: MessageRow) -> Self {
        Self {
            id: m.id,
            direction: m.direction,
            author: m.author,
            kind: m.kind,
            body: m.body.into(),
            status: m.status,
            error_code: m.error_code.into(),
            error_title: m.error_title.into(),
            created_at: m.created_at,
        }
    }
}

/// A nullable field of a patch: omitted keeps (`None`), `null` clears (`Some(None)`).
fn nullable(m: MaybeUndefined<String>) -> Option<Option<String>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct ChatApi {
    /// The assistant's service.
    pub service: std::sync::Arc<super::service::Chat>,
}

impl ChatApi {
    fn handshake(
        &self,
        mode: Option<&str>,
        token: Option<&str>,
        challenge: Option<String>,
        expected: Option<&str>,
    ) -> Result<Challenge, ApiError> {
        match (mode, token, challenge, expected) {
            (Some("subscribe"), Some(token), Some(challenge), Some(expected))
                if constant_time_eq(token.as_bytes(), expected.as_bytes()) =>
            {
                Ok(Challenge::Ok(PlainText(challenge)))
            }
            _ => Err(ApiError::forbidden("verification failed")),
        }
    }

    async fn ack(
        &self,
        body: &[u8],
        signature: Option<&str>,
        brand: Option<&TenantScope>,
    ) -> Result<Json<WebhookAck>, ApiError> {
        let report = service::ingest(&self.service, body, signature, brand).await?;
        Ok(Json(WebhookAck {
            stored: report.stored as i64,
            duplicates: report.duplicates as i64,
            statuses: report.statuses as i64,
            unknown_numbers: report.unknown_numbers as i64,
        }))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    // Compare digests: equal length, and the comparison does not stop at the first difference.
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

#[OpenApi]
impl ChatApi {
    /// Meta's verification handshake: echoes `hub.challenge` when `hub.mode` is `subscribe`
    /// and `hub.verify_token` matches `WHATSAPP_VERIFY_TOKEN`; 403 otherwise.
    #[oai(
        path = "/v1/webhooks/whatsapp",
        method = "get",
        operation_id = "verifyWhatsAppWebhook",
        tag = "ApiTags::Webhooks"
    )]
    async fn verify(
        &self,
        #[oai(name = "hub.mode")] mode: Query<Option<String>>,
        #[oai(name = "hub.verify_token")] token: Query<Option<String>>,
        #[oai(name = "hub.challenge")] challenge: Query<Option<String>>,
    ) -> Result<Challenge, ApiError> {
        let expected = self
            .service
            .config
            .verify_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned());
        self.handshake(
            mode.0.as_deref(),
            token.0.as_deref(),
            challenge.0,
            expected.as_deref(),
        )
    }

    /// Meta's webhook deliveries (messages and statuses) for every brand's number. The body
    /// must carry `X-Hub-Signature-256` (HMAC-SHA256 with the Meta app secret), checked before
    /// parsing: 401 otherwise, nothing stored. Events are routed by
    /// `metadata.phone_number_id` to the brand that proved the number (assigned by the company
    /// owner or verified with the brand's token); any other number is logged, counted and still
    /// acknowledged. Replies are queued, not sent here: the answer is fast.
    #[oai(
        path = "/v1/webhooks/whatsapp",
        method = "post",
        operation_id = "receiveWhatsAppWebhook",
        tag = "ApiTags::Webhooks"
    )]
    async fn receive(
        &self,
        #[oai(name = "X-Hub-Signature-256")] signature: poem_openapi::param::Header<Option<String>>,
        body: SignedJsonBody<WhatsAppWebhook>,
    ) -> Result<Json<WebhookAck>, ApiError> {
        self.ack(&body.bytes, signature.0.as_deref(), None).await
    }

    /// The handshake for a brand with its own Meta app (its own verify token).
    #[oai(
        path = "/v1/webhooks/whatsapp/:brand",
        method = "get",
        operation_id = "verifyBrandWhatsAppWebhook",
        tag = "ApiTags::Webhooks"
    )]
    async fn verify_brand(
        &self,
        brand: Path<String>,
        #[oai(name = "hub.mode")] mode: Query<Option<String>>,
        #[oai(name = "hub.verify_token")] token: Query<Option<String>>,
        #[oai(name = "hub.challenge")] challenge: Query<Option<String>>,
    ) -> Result<Challenge, ApiError> {
        let scope = self
            .service
            .tenants
            .scope_for_slug(&brand.0, Actor::System)
            .await
            .map_err(ApiError::from)?;
        let expected = console::verify_token(&self.service, &scope).await?;
        self.handshake(
            mode.0.as_deref(),
            token.0.as_deref(),
            challenge.0,
            expected.as_deref(),
        )
    }

    /// Deliveries for a brand with its own Meta app: signed with that brand's app secret;
    /// events for other brands' numbers are ignored (counted as unknown).
    #[oai(
        path = "/v1/webhooks/whatsapp/:brand",
        method = "post",
        operation_id = "receiveBrandWhatsAppWebhook",
        tag = "ApiTags::Webhooks"
    )]
    async fn receive_brand(
        &self,
        brand: Path<String>,
        #[oai(name = "X-Hub-Signature-256")] signature: poem_openapi::param::Header<Option<String>>,
        body: SignedJsonBody<WhatsAppWebhook>,
    ) -> Result<Json<WebhookAck>, ApiError> {
        let scope = self
            .service
            .tenants
            .scope_for_slug(&brand.0, Actor::System)
            .await
            .map_err(ApiError::from)?;
        self.ack(&body.bytes, signature.0.as_deref(), Some(&scope))
            .await
    }

    /// The brand's assistant settings (secrets shown only as set or not).
    ///
    /// Permission `chat.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/chat/settings",
        method = "get",
        operation_id = "getChatSettings",
        tag = "ApiTags::Chat"
    )]
    async fn get_settings(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<ChatSettingsView>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ChatSettings)?;
        let settings = console::settings(&self.service.db, &scope).await?;
        Ok(Json(settings.into()))
    }

    /// Changes the brand's assistant settings.
    ///
    /// A new `phone_number_id` is first verified with the Graph API using the brand's access
    /// token (`GET /{version}/{phone_number_id}`): a number the token cannot read, or one
    /// another brand holds, is 422 on `phone_number_id` either way, and nothing is changed; 503
    /// when the Graph API cannot answer. The company owner assigns numbers without a token:
    /// `PUT /v1/admin/brands/{slug}/whatsapp-number`.
    ///
    /// Permission `chat.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/chat/settings",
        method = "patch",
        operation_id = "updateChatSettings",
        tag = "ApiTags::Chat"
    )]
    async fn update_settings(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<UpdateChatSettings>,
    ) -> Result<Json<ChatSettingsView>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ChatSettings)?;
        let b = body.0;
        let change = SettingsChange {
            phone_number_id: nullable(b.phone_number_id),
            access_token: nullable(b.access_token),
            persona: b.persona,
            tone: b.tone,
            languages: b.languages,
            default_language: b.default_language,
            greetings: b.greetings,
            fallbacks: b.fallbacks,
            handoff_keywords: b.handoff_keywords,
            app_secret: nullable(b.app_secret),
            verify_token: nullable(b.verify_token),
        };
        let settings = console::update_settings(&self.service, &scope, change).await?;
        Ok(Json(settings.into()))
    }

    /// Every brand's WhatsApp number, how it was proved and when.
    ///
    /// A number without proof was claimed before numbers had to be proved: it routes nothing
    /// until the owner assigns it or the brand saves it again with its access token.
    ///
    /// Permission `whatsapp.numbers`: role owner.
    #[oai(
        path = "/v1/admin/whatsapp-numbers",
        method = "get",
        operation_id = "listWhatsAppNumbers",
        tag = "ApiTags::Chat"
    )]
    async fn list_numbers(
        &self,
        auth: StaffAuth,
    ) -> Result<Json<Vec<WhatsAppNumberView>>, ApiError> {
        let actor = auth.0.authorize_company(Permission::WhatsAppNumbers)?;
        let rows = numbers::list(&self.service.db, &actor).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Assigns a WhatsApp number to a brand.
    ///
    /// Any brand, active or not: Meta's webhook events for the number route to it from now on,
    /// and its previous number, if any, routes nothing. The owner's word is the proof; no token
    /// is needed. A number another brand holds is 409 naming that brand: release it there
    /// first. Audited.
    ///
    /// Permission `whatsapp.numbers`: role owner.
    #[oai(
        path = "/v1/admin/brands/:slug/whatsapp-number",
        method = "put",
        operation_id = "assignWhatsAppNumber",
        tag = "ApiTags::Chat"
    )]
    async fn assign_number(
        &self,
        auth: StaffAuth,
        slug: Path<String>,
        body: Json<AssignWhatsAppNumber>,
    ) -> Result<Json<WhatsAppNumberView>, ApiError> {
        let actor = auth.0.authorize_company(Permission::WhatsAppNumbers)?;
        let number = body
            .0
            .phone_number_id
            .parse()
            .map_err(|e| ApiError::invalid_field("phone_number_id", e.into_message()))?;
        let row = numbers::assign(&self.service.db, &actor, &slug.0, &number).await?;
        Ok(Json(row.into()))
    }

    /// Lets a brand's WhatsApp number go.
    ///
    /// Its webhook events route nowhere from now on. A brand without a number: nothing
    /// happens. Audited.
    ///
    /// Permission `whatsapp.numbers`: role owner.
    #[oai(
        path = "/v1/admin/brands/:slug/whatsapp-number",
        method = "delete",
        operation_id = "releaseWhatsAppNumber",
        tag = "ApiTags::Chat"
    )]
    async fn release_number(&self, auth: StaffAuth, slug: Path<String>) -> Result<Done, ApiError> {
        let actor = auth.0.authorize_company(Permission::WhatsAppNumbers)?;
        numbers::unassign(&self.service.db, &actor, &slug.0).await?;
        Ok(Done::Done)
    }

    /// The brand's conversations, most recent first, with their last message and state.
    ///
    /// Permission `chat.read`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/conversations",
        method = "get",
        operation_id = "listConversations",
        tag = "ApiTags::Chat"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<ConversationView>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ChatRead)?;
        let rows = console::conversations(&self.service.db, &scope).await?;
        Ok(Json(rows.into_iter().map(view).collect()))
    }

    /// One conversation with its messages.
    ///
    /// Permission `chat.read`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/conversations/:id",
        method = "get",
        operation_id = "getConversation",
        tag = "ApiTags::Chat"
    )]
    async fn get(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Json<ConversationDetail>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ChatRead)?;
        let (c, messages) = console::conversation(&self.service.db, &scope, id.0).await?;
        Ok(Json(ConversationDetail {
            conversation: view(c),
            messages: messages.into_iter().map(Into::into).collect(),
        }))
    }

    /// Sends a staff reply through the brand's number (only within 24 hours of the customer's
    /// last message: 409 otherwise). The conversation passes to a human: the bot stops.
    ///
    /// Permission `chat.reply`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/conversations/:id/reply",
        method = "post",
        operation_id = "replyToConversation",
        tag = "ApiTags::Chat"
    )]
    async fn reply(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
        body: Json<StaffReplyRequest>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ChatReply)?;
        service::staff_reply(&self.service, &scope, id.0, &body.0.text)
            .await
            .map_err(ApiError::from)?;
        Ok(Done::Done)
    }

    /// Hands the conversation back to the assistant.
    ///
    /// Permission `chat.reply`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/conversations/:id/handback",
        method = "post",
        operation_id = "handBackConversation",
        tag = "ApiTags::Chat"
    )]
    async fn handback(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ChatReply)?;
        console::hand_back(&self.service.db, &scope, id.0).await?;
        Ok(Done::Done)
    }
}
