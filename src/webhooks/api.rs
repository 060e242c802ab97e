//! `/v1/admin/webhooks`: a brand's signed outbound webhooks (permission `brand.settings`).

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    DeliveryStatus,
    service::{self, Change, DeliveryRow, EndpointRow, Webhooks},
};
use crate::{
    api::ApiTags,
    error::ApiError,
    events::EventType,
    identity::{Permission, extract::StaffAuth},
    tenants::StaffBrand,
    types::Nullable,
};

/// A webhook endpoint (its secret is never read back).
#[derive(Debug, Object)]
#[oai(rename = "WebhookEndpoint")]
pub struct EndpointBody {
    pub id: Uuid,
    /// Where deliveries are posted.
    pub url: String,
    /// The event types delivered.
    pub event_types: Vec<EventType>,
    /// False once disabled (by staff, or after `WEBHOOK_DISABLE_AFTER` failed deliveries in a
    /// row); a disabled endpoint receives nothing until enabled again.
    pub active: bool,
    /// Deliveries failed for good in a row (0 after a success).
    pub consecutive_failures: i32,
    pub disabled_at: Nullable<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for EndpointBody {
    fn from(r: EndpointRow) -> Self {
        Self {
            id: r.id,
            url: r.url,
            event_types: r.event_types,
            active: r.active,
            consecutive_failures: r.consecutive_failures,
            disabled_at: r.disabled_at.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An endpoint with its signing secret: answered once, at creation or rotation.
#[derive(Debug, Object)]
#[oai(rename = "WebhookEndpointWithSecret")]
pub struct EndpointWithSecret {
    #[oai(flatten)]
    pub endpoint: EndpointBody,
    /// The signing secret (`whsec_...`). Store it now: it is never shown again. Verify each
    /// delivery's `X-Brandhouse-Signature` with it (README, "Webhooks").
    pub secret: String,
}

/// A new endpoint.
#[derive(Debug, Object)]
#[oai(rename = "NewWebhookEndpoint")]
pub struct NewEndpoint {
    /// An `https://` URL whose host resolves to public addresses only.
    #[oai(validator(max_length = 2000))]
    pub url: String,
    /// The event types to deliver (at least one).
    #[oai(validator(min_items = 1, max_items = 64))]
    pub event_types: Vec<EventType>,
}

/// A change to an endpoint: fields left out stay as they are.
#[derive(Debug, Object)]
#[oai(rename = "UpdateWebhookEndpoint")]
pub struct UpdateEndpoint {
    #[oai(validator(max_length = 2000))]
    pub url: Option<String>,
    #[oai(validator(min_items = 1, max_items = 64))]
    pub event_types: Option<Vec<EventType>>,
    /// `true` enables a disabled endpoint (its run of failures starts again from 0); `false`
    /// disables it.
    pub active: Option<bool>,
}

/// One delivery of one event to one endpoint.
#[derive(Debug, Object)]
#[oai(rename = "WebhookDelivery")]
pub struct DeliveryBody {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// The event delivered (also sent as `X-Brandhouse-Event-Id`).
    pub event_id: Uuid,
    /// The event's number in the brand.
    pub event_seq: i64,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// The HTTP status of the last answer; null when none came (a network error).
    pub last_status_code: Nullable<i32>,
    /// Why the last attempt failed.
    pub last_error: Nullable<String>,
    /// When the next attempt is due (pending deliveries being retried).
    pub next_attempt_at: Nullable<DateTime<Utc>>,
    pub delivered_at: Nullable<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DeliveryRow> for DeliveryBody {
    fn from(r: DeliveryRow) -> Self {
        Self {
            id: r.id,
            endpoint_id: r.endpoint_id,
            event_id: r.event_id,
            event_seq: r.event_seq,
            event_type: r.event_type,
            status: r.status,
            attempts: r.attempts,
            last_status_code: r.last_status_code.into(),
            last_error: r.last_error.into(),
            next_attempt_at: r.next_attempt_at.into(),
            delivered_at: r.delivered_at.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(ApiResponse)]
pub enum Created {
    #[oai(status = 201)]
    Created(Json<EndpointWithSecret>),
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub enum Accepted {
    /// The delivery is queued again.
    #[oai(status = 202)]
    Accepted,
}

/// The endpoints; built by the composition root with the webhooks service.
pub struct WebhooksApi {
    pub hooks: Webhooks,
}

#[OpenApi]
impl WebhooksApi {
    /// Registers a webhook endpoint: events of the listed types are posted to `url`, signed.
    /// The answer carries the signing secret, the only time it is shown. The URL must be
    /// `https` and its host must not resolve to a private, loopback, link-local, CGNAT,
    /// multicast or unspecified address (a 422 naming `url` otherwise).
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/webhooks",
        method = "post",
        operation_id = "createWebhook",
        tag = "ApiTags::BrandWebhooks"
    )]
    async fn create(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<NewEndpoint>,
    ) -> Result<Created, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let (row, secret) =
            service::create(&self.hooks, &scope, &body.0.url, &body.0.event_types).await?;
        Ok(Created::Created(Json(EndpointWithSecret {
            endpoint: row.into(),
            secret,
        })))
    }

    /// The brand's webhook endpoints, oldest first (never their secrets).
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/webhooks",
        method = "get",
        operation_id = "listWebhooks",
        tag = "ApiTags::BrandWebhooks"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<EndpointBody>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let rows = service::list(&self.hooks, &scope).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// One webhook endpoint of the brand (404 for another brand's).
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/webhooks/:id",
        method = "get",
        operation_id = "getWebhook",
        tag = "ApiTags::BrandWebhooks"
    )]
    async fn get(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Json<EndpointBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        Ok(Json(service::get(&self.hooks, &scope, id.0).await?.into()))
    }

    /// Changes an endpoint's URL (checked as at creation), event types or `active`.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/webhooks/:id",
        method = "patch",
        operation_id = "updateWebhook",
        tag = "ApiTags::BrandWebhooks"
    )]
    async fn update(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
        body: Json<UpdateEndpoint>,
    ) -> Result<Json<EndpointBody>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let change = Change {
            url: body.0.url,
            event_types: body.0.event_types,
            active: body.0.active,
        };
        Ok(Json(
            service::update(&self.hooks, &scope, id.0, &change)
                .await?
                .into(),
        ))
    }

    /// Deletes an endpoint and its delivery log; its pending deliveries are not sent.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/webhooks/:id",
        method = "delete",
        operation_id = "deleteWebhook",
        tag = "ApiTags::BrandWebhooks"
    )]
    async fn delete(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        service::delete(&self.hooks, &scope, id.0).await?;
        Ok(Done::Done)
    }

    /// Replaces the endpoint's signing secret and answers the new one (shown once). Deliveries
    /// sent from now on are signed with it.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/webhooks/:id/rotate-secret",
        method = "post",
        operation_id = "rotateWebhookSecret",
        tag = "ApiTags::BrandWebhooks"
    )]
    async fn rotate_secret(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Json<EndpointWithSecret>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let (row, secret) = service::rotate_secret(&self.hooks, &scope, id.0).await?;
        Ok(Json(EndpointWithSecret {
            endpoint: row.into(),
            secret,
        }))
    }

    /// The endpoint's delivery log, newest first: status, attempts, last response code, last
    /// error and times (at most `limit`, default 100).
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/webhooks/:id/deliveries",
        method = "get",
        operation_id = "listWebhookDeliveries",
        tag = "ApiTags::BrandWebhooks"
    )]
    async fn deliveries(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))] limit: Query<Option<i64>>,
    ) -> Result<Json<Vec<DeliveryBody>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let rows = service::deliveries(&self.hooks, &scope, id.0, limit.0.unwrap_or(100)).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Sends a delivery again from its first attempt (same event, same event id: receivers
    /// that saw it deduplicate). 409 while the endpoint is disabled.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/webhooks/:id/deliveries/:delivery_id/redeliver",
        method = "post",
        operation_id = "redeliverWebhook",
        tag = "ApiTags::BrandWebhooks"
    )]
    async fn redeliver(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
        delivery_id: Path<Uuid>,
    ) -> Result<Accepted, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        service::redeliver(&self.hooks, &scope, id.0, delivery_id.0).await?;
        Ok(Accepted::Accepted)
    }
}
