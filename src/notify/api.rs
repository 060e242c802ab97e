//! The brand's customer notification settings (`brand.settings`).

use poem_openapi::{Object, OpenApi, payload::Json, types::MaybeUndefined};

use super::service::{self, Settings, SettingsChange};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    tenants::StaffBrand,
    types::Nullable,
};

/// Which order events the brand's WhatsApp number tells the customer about, with which
/// approved template, in which languages.
#[derive(Object)]
#[oai(rename = "NotificationSettings")]
pub struct NotificationSettingsView {
    /// Send the customer a template message when their order is paid.
    pub paid_enabled: bool,
    /// The approved template sent when an order is paid.
    pub paid_template: Nullable<String>,
    /// Send the customer a template message when their order is shipped.
    pub shipped_enabled: bool,
    /// The approved template sent when an order is shipped.
    pub shipped_template: Nullable<String>,
    /// The language codes the brand's templates are approved in (Meta's codes: `en_US`, `es`,
    /// `ja`, `pt_BR`).
    pub template_languages: Vec<String>,
    /// The code used when the customer's language is unknown or not among
    /// `template_languages`.
    pub default_template_language: String,
}

impl From<Settings> for NotificationSettingsView {
    fn from(s: Settings) -> Self {
        Self {
            paid_enabled: s.paid_enabled,
            paid_template: s.paid_template.into(),
            shipped_enabled: s.shipped_enabled,
            shipped_template: s.shipped_template.into(),
            template_languages: s.template_languages,
            default_template_language: s.default_template_language,
        }
    }
}

/// Changes; omitted fields stay, `null` clears a template (only while its event is off).
#[derive(Object)]
#[oai(rename = "UpdateNotificationSettings")]
pub struct UpdateNotificationSettings {
    pub paid_enabled: Option<bool>,
    /// A template name as Meta has it (lowercase letters, digits, underscores); required while
    /// `paid_enabled` is true. Its body takes one variable, `{{1}}`: the order number.
    #[oai(nullable)]
    pub paid_template: MaybeUndefined<String>,
    pub shipped_enabled: Option<bool>,
    /// As `paid_template`, for shipping.
    #[oai(nullable)]
    pub shipped_template: MaybeUndefined<String>,
    /// 1 to 50 codes, each once.
    pub template_languages: Option<Vec<String>>,
    /// One of `template_languages`.
    pub default_template_language: Option<String>,
}

fn nullable(m: MaybeUndefined<String>) -> Option<Option<String>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// The endpoints; built by the composition root (`startup.rs`).
pub struct NotificationsApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
}

#[OpenApi]
impl NotificationsApi {
    /// The brand's customer notification settings.
    ///
    /// When an order is paid or shipped and the event is enabled, the brand's WhatsApp number
    /// sends the customer (the order's phone) the event's approved template message, in the
    /// customer's language when the template is approved in it, else in
    /// `default_template_language`. A brand that never saved settings sends nothing.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/brand/notification-settings",
        method = "get",
        operation_id = "getNotificationSettings",
        tag = "ApiTags::Chat"
    )]
    async fn get_settings(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<NotificationSettingsView>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let settings = service::settings(&self.db, &scope).await?;
        Ok(Json(settings.into()))
    }

    /// Changes the brand's customer notification settings.
    ///
    /// An enabled event needs its template; the default language must be one of the template
    /// languages. Every invalid field is named in one 422 and nothing changes. Audited.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/brand/notification-settings",
        method = "patch",
        operation_id = "updateNotificationSettings",
        tag = "ApiTags::Chat"
    )]
    async fn update_settings(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<UpdateNotificationSettings>,
    ) -> Result<Json<NotificationSettingsView>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let b = body.0;
        let change = SettingsChange {
            paid_enabled: b.paid_enabled,
            paid_template: nullable(b.paid_template),
            shipped_enabled: b.shipped_enabled,
            shipped_template: nullable(b.shipped_template),
            template_languages: b.template_languages,
            default_template_language: b.default_template_language,
        };
        let settings = service::update_settings(&self.db, &scope, change).await?;
        Ok(Json(settings.into()))
    }
}
