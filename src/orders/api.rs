//! Storefront order endpoints (checkout, the customer's order) and the payment provider's
//! callback.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path},
    payload::Json,
};
use uuid::Uuid;

use super::{
    Order,
    checkout::{CheckoutInput, CustomerInput, LineInput},
    service::{self, CallbackOutcome, PaymentEvent},
};
use crate::{
    api::ApiTags,
    error::ApiError,
    payload::SignedJsonBody,
    scope::{Actor, TenantScope},
    tenants::{StaffBrand, Storefront},
    types::{
        AddressInput, CountryCode, DisplayName, Email, LanguageCode, PhoneNumber, Sku, Slug, Text,
        Unchecked, ZoneCode,
    },
};

#[derive(Object)]
#[oai(rename = "CheckoutLine")]
pub struct CheckoutLineRequest {
    pub sku: Unchecked<Sku>,
    /// 1 to 1000, and at most the brand's `max_units_per_sku` over all lines of one SKU
    /// (default 20).
    pub quantity: i32,
}

#[derive(Object)]
#[oai(rename = "CheckoutCustomer")]
pub struct CheckoutCustomerRequest {
    pub name: Unchecked<DisplayName>,
    pub email: Unchecked<Email>,
    /// E.164, e.g. `+4915123456789`.
    pub phone: Option<Unchecked<PhoneNumber>>,
    /// ISO 639-1, e.g. `es`.
    pub preferred_language: Option<Unchecked<LanguageCode>>,
}

/// A postal address. Every text is trimmed and may not contain control characters.
#[derive(Object)]
#[oai(rename = "CheckoutAddress")]
pub struct CheckoutAddressRequest {
    /// Who receives the parcel.
    pub name: Unchecked<DisplayName>,
    pub line1: Unchecked<Text<1, 200>>,
    pub line2: Option<Unchecked<Text<0, 200>>>,
    pub city: Unchecked<Text<1, 100>>,
    /// Letters, digits, spaces and hyphens, up to 16; required except in countries without
    /// postal codes (README, "Delivery and tax").
    pub postal_code: Option<String>,
    /// State, province or county, where the country uses one.
    pub region: Option<Unchecked<Text<0, 100>>>,
    /// ISO 3166-1 alpha-2, e.g. `DE`; also the tax country.
    pub country: Unchecked<CountryCode>,
    /// E.164, e.g. `+4915123456789`.
    pub phone: Option<Unchecked<PhoneNumber>>,
}

impl From<CheckoutAddressRequest> for AddressInput {
    fn from(a: CheckoutAddressRequest) -> Self {
        AddressInput {
            name: a.name.into_string(),
            line1: a.line1.into_string(),
            line2: a.line2.map(Unchecked::into_string),
            city: a.city.into_string(),
            postal_code: a.postal_code,
            region: a.region.map(Unchecked::into_string),
            country: a.country.into_string(),
            phone: a.phone.map(Unchecked::into_string),
        }
    }
}

#[derive(Object)]
#[oai(rename = "CheckoutRequest")]
pub struct CheckoutRequest {
    pub lines: Vec<CheckoutLineRequest>,
    pub customer: CheckoutCustomerRequest,
    /// A zone code to ship from first; other active zones fill the rest by priority.
    pub preferred_zone: Option<Unchecked<ZoneCode>>,
    /// Where to ship. Required when the brand has an active shipping method; its country is
    /// the tax country.
    pub shipping_address: Option<CheckoutAddressRequest>,
    /// Where to bill, when it differs from the shipping address.
    pub billing_address: Option<CheckoutAddressRequest>,
    /// The code of an eligible shipping method (`GET /v1/storefront/shipping-methods`).
    /// Required when the brand has an active shipping method; the server prices it.
    pub shipping_method: Option<Unchecked<Slug>>,
    /// Up to 5 promo codes (any case). Repriced on the server exactly as
    /// `POST /v1/storefront/quotes` prices them; part of the idempotency request.
    #[oai(default)]
    pub promo_codes: Vec<String>,
}

/// The placed order and the token to read it later.
#[derive(Object)]
#[oai(rename = "CheckoutResponse")]
pub struct CheckoutResponse {
    #[oai(flatten)]
    pub order: Order,
    /// Send as `X-Order-Token` to `GET /v1/storefront/orders/{id}`. Keep it: it is the only
    /// key to the order for the customer, until `access_token_expires_at`.
    pub access_token: String,
    /// When the token stops reading the order (`ORDER_TOKEN_TTL_DAYS` after it was placed,
    /// 90 days by default).
    pub access_token_expires_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
pub enum CheckoutResult {
    /// Placed: the units are held until `holds_expire_at`.
    #[oai(status = 201)]
    Created(Json<CheckoutResponse>),
    /// A retry of a checkout already placed with this Idempotency-Key: the same order,
    /// nothing reserved twice.
    #[oai(status = 200)]
    Replayed(
        Json<CheckoutResponse>,
        #[oai(header = "Idempotent-Replayed")] String,
    ),
}

/// A payment provider's notification, signed with the brand's payment webhook secret.
#[derive(Object)]
#[oai(rename = "PaymentCallback")]
pub struct PaymentCallback {
    /// The provider's unique event id: a repeated event changes nothing.
    pub event_id: String,
    pub order_id: Uuid,
    /// `succeeded` confirms the payment; `refunded` and `refund_failed` settle the refund
    /// `refund_id` (with its amount and currency); other statuses are acknowledged and ignored.
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    /// The refund a `refunded` or `refund_failed` event settles (the `refund_id` of the
    /// `refund.requested` event).
    pub refund_id: Option<Uuid>,
}

#[derive(Object)]
#[oai(rename = "PaymentCallbackResult")]
pub struct PaymentCallbackResult {
    /// `confirmed`, `rereserved`, `already_paid`, `duplicate`, `payment_conflict` or `ignored`;
    /// for refunds `refunded`, `refund_failed`, `already_settled` or `duplicate`.
    pub outcome: String,
    pub order_status: String,
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct OrdersApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// The brand-keyed storefront cache (invalidated after catalog and stock writes).
    pub cache: crate::cache::Cache,
    /// Issues and checks the storefront's order access tokens (`ORDER_TOKEN_SECRET`,
    /// `ORDER_TOKEN_TTL_DAYS`).
    pub order_tokens: super::token::OrderTokens,
}

/// The scope a payment provider acts in: the request's brand, active or not (an order placed
/// before a brand closed can still be paid).
fn provider_scope(brand: &StaffBrand) -> TenantScope {
    TenantScope::new(brand.0.clone(), Actor::System)
}

/// A verified callback body as the spec declares it (`None` if it is not one).
fn parse_callback(body: &[u8]) -> Option<PaymentEvent> {
    let value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let event: PaymentCallback =
        poem_openapi::types::ParseFromJSON::parse_from_json(Some(value)).ok()?;
    Some(PaymentEvent {
        event_id: event.event_id,
        order_id: event.order_id,
        status: event.status,
        amount_minor: event.amount_minor,
        currency: event.currency,
        refund_id: event.refund_id,
    })
}

/// What a checkout's lines and customer ask for, as sent.
fn checkout_input(b: CheckoutRequest) -> CheckoutInput {
    CheckoutInput {
        lines: b
            .lines
            .into_iter()
            .map(|l| LineInput {
                sku: l.sku.into_string(),
                quantity: l.quantity,
            })
            .collect(),
        customer: CustomerInput {
            name: b.customer.name.into_string(),
            email: b.customer.email.into_string(),
            phone: b.customer.phone.map(Unchecked::into_string),
            preferred_language: b.customer.preferred_language.map(Unchecked::into_string),
        },
        preferred_zone: b.preferred_zone.map(Unchecked::into_string),
        shipping_address: b.shipping_address.map(Into::into),
        billing_address: b.billing_address.map(Into::into),
        shipping_method: b.shipping_method.map(Unchecked::into_string),
        promo_codes: b.promo_codes,
    }
}

#[OpenApi]
impl OrdersApi {
    /// Places an order: every line is reserved (held until `holds_expire_at`, by default 15
    /// minutes) or nothing is. Lines name SKUs of this brand; one line may be split across
    /// zones, the preferred zone first. Out of stock is a 409 whose `unavailable` lists, per
    /// SKU, requested and available units. Retrying with the same `Idempotency-Key` returns
    /// the same order and reserves nothing twice; reusing a key for a different request is
    /// 422. The brand caps what one buyer may hold: more units of one SKU than its
    /// `max_units_per_sku` is a 422 naming `lines[i].quantity`; an email (or phone) that
    /// already has `max_open_orders_per_customer` unpaid orders holding stock gets a 409
    /// `open-order-limit` problem (a retry of a placed checkout is never refused). An order
    /// attaches to the customer with this email without changing their stored name or phone;
    /// it shows the name and phone this checkout sent. A brand with an active shipping method
    /// requires `shipping_address` and an eligible `shipping_method` (a 422
    /// `ineligible-shipping-method` for one that is unknown, inactive, not shipping to the
    /// address's country or without a band for the order). The server prices everything:
    /// lines from the catalog, shipping from the method, tax per line at the rate of the
    /// product's tax class in the tax country (README, "Delivery and tax"); a price a client
    /// sends is ignored. The address and method are part of the idempotency request. Anonymous.
    #[oai(
        path = "/v1/storefront/checkouts",
        method = "post",
        operation_id = "checkout",
        tag = "ApiTags::Storefront"
    )]
    async fn checkout(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        /// A unique key per checkout attempt, chosen by the client (up to 200 characters).
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<String>,
        body: Json<CheckoutRequest>,
    ) -> Result<CheckoutResult, ApiError> {
        let placed = service::place_order(
            &self.db,
            &self.cache,
            &brand.0,
            &self.order_tokens,
            &idempotency_key.0,
            &checkout_input(body.0),
        )
        .await?;
        let response = CheckoutResponse {
            order: placed.order,
            access_token: placed.access_token,
            access_token_expires_at: placed.access_token_expires_at,
        };
        Ok(if placed.replayed {
            CheckoutResult::Replayed(Json(response), "true".into())
        } else {
            CheckoutResult::Created(Json(response))
        })
    }

    /// The customer's order, with the token from checkout in `X-Order-Token`. A wrong token is
    /// 404, like a wrong id.
    #[oai(
        path = "/v1/storefront/orders/:id",
        method = "get",
        operation_id = "getStorefrontOrder",
        tag = "ApiTags::Storefront"
    )]
    async fn get_order(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        id: Path<Uuid>,
        #[oai(name = "X-Order-Token")] order_token: Header<String>,
    ) -> Result<Json<Order>, ApiError> {
        let order =
            service::customer_order(&self.db, &brand.0, &self.order_tokens, id.0, &order_token.0)
                .await?;
        Ok(Json(order))
    }

    /// The payment provider's callback. The body is signed: `X-Payment-Signature:
    /// sha256=<hex HMAC-SHA256 of the raw body with the brand's payment webhook secret>`; a
    /// missing or wrong signature is 401 and changes nothing. The brand comes from
    /// `X-Tenant-ID` or the Host the provider calls. `succeeded` confirms the payment exactly
    /// once however often it is delivered; a payment after the holds expired takes the units
    /// again if stock allows, else the order becomes `payment_conflict` for a human.
    #[oai(
        path = "/v1/payments/callback",
        method = "post",
        operation_id = "paymentCallback",
        tag = "ApiTags::Payments"
    )]
    async fn payment_callback(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        #[oai(name = "X-Payment-Signature")] signature: Header<Option<String>>,
        body: SignedJsonBody<PaymentCallback>,
    ) -> Result<Json<PaymentCallbackResult>, ApiError> {
        let outcome = service::payment_callback(
            &self.db,
            &self.cache,
            &provider_scope(&brand),
            &body.bytes,
            signature.0.as_deref(),
            parse_callback,
        )
        .await?;
        Ok(Json(match outcome {
            CallbackOutcome::Ignored => PaymentCallbackResult {
                outcome: "ignored".into(),
                order_status: "unchanged".into(),
            },
            CallbackOutcome::Applied { outcome, order } => PaymentCallbackResult {
                outcome: outcome.as_str().into(),
                order_status: order.status.as_str().to_owned(),
            },
            CallbackOutcome::Refund { outcome, order } => PaymentCallbackResult {
                outcome: outcome.into(),
                order_status: order.status.as_str().to_owned(),
            },
        }))
    }
}
