//! What the order endpoints call: placing an order (with its access token), the customer's
//! read by token, the payment provider's signed callback, staff lists and details, and the
//! brand's order settings. Checkout, payment and the lifecycle keep their own modules; this
//! one puts them together with the token, the signature and the cache.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use super::repo::{CustomerRow, OrderSummary, PickRow};
use super::{
    Order, OrderError,
    checkout::{self, CheckoutInput},
    load_order,
    payment::{self, OrderRef, Outcome, PaymentSource},
    repo,
    returns::refunds::{self, RefundEvent, Settlement},
    status::OrderStatus,
    token::OrderTokens,
};
use crate::{
    audit,
    cache::Cache,
    db::{Db, escape_like},
    error::FieldError,
    identity::service::normalise_email,
    scope::TenantScope,
    types::{CountryCode, refuse_nul},
};

/// How many customers one request lists at most.
const CUSTOMER_LIMIT: i64 = 200;

/// A placed order, or the one an earlier attempt with the same idempotency key placed.
pub struct PlacedOrder {
    /// The order as placed.
    pub order: Order,
    /// The customer's key to the order (`X-Order-Token`).
    pub access_token: String,
    /// When the key stops reading the order.
    pub access_token_expires_at: DateTime<Utc>,
    /// True when this is a retry of a checkout already placed.
    pub replayed: bool,
}

/// Places an order ([`checkout::checkout`]), invalidates the storefront cache when units were
/// reserved (a replay reserves nothing), and issues the order's access token.
pub async fn place_order(
    db: &Db,
    cache: &Cache,
    scope: &TenantScope,
    tokens: &OrderTokens,
    idempotency_key: &str,
    input: &CheckoutInput,
) -> Result<PlacedOrder, OrderError> {
    let (order, replayed) = checkout::checkout(db, scope, idempotency_key, input).await?;
    if !replayed {
        // Availability changed.
        cache.invalidate_catalog(scope).await;
    }
    let (access_token, access_token_expires_at) =
        tokens.issue(scope.tenant_id(), order.id, order.created_at);
    Ok(PlacedOrder {
        access_token,
        access_token_expires_at,
        order,
        replayed,
    })
}

/// The order `id` for the customer holding its access token. A wrong token, and a token past
/// its lifetime, are the same 404 as a wrong id.
pub async fn customer_order(
    db: &Db,
    scope: &TenantScope,
    tokens: &OrderTokens,
    id: Uuid,
    access_token: &str,
) -> Result<Order, OrderError> {
    if !tokens.matches(scope.tenant_id(), id, access_token) {
        return Err(OrderError::NotFound("no such order"));
    }
    db.tenant_tx(scope, async |tx| {
        load_order(tx, Some(id), None, false).await
    })
    .await?
    .filter(|order| Utc::now() < tokens.expiry(order.created_at))
    .ok_or(OrderError::NotFound("no such order"))
}

/// A payment provider's notification, read from a body whose signature was checked.
#[derive(Debug, Clone)]
pub struct PaymentEvent {
    /// The provider's unique event id.
    pub event_id: String,
    /// The order the payment is for.
    pub order_id: Uuid,
    /// `succeeded` confirms the payment; anything else is ignored.
    pub status: String,
    /// The amount paid, in the currency's minor units.
    pub amount_minor: i64,
    /// ISO 4217 code of the amount.
    pub currency: String,
    /// The refund a `refunded` or `refund_failed` event settles.
    pub refund_id: Option<Uuid>,
}

/// What a payment callback did.
pub enum CallbackOutcome {
    /// Not a success: acknowledged, nothing changed.
    Ignored,
    /// A refund's settlement: its outcome (`refunded`, `refund_failed`, `already_settled`,
    /// `duplicate`) and the order as it now is.
    Refund {
        outcome: &'static str,
        order: Box<Order>,
    },
    /// The confirmation's outcome and the order as it now is.
    Applied {
        /// What the confirmation did.
        outcome: Outcome,
        /// The order after it (boxed: the variants differ much in size).
        order: Box<Order>,
    },
}

/// The payment provider's callback for the brand of `scope`: checks the body's signature
/// against the brand's payment webhook secret (401 without one, or for a wrong signature),
/// only then reads the body with `parse` (400 if it is not an event), and confirms a
/// `succeeded` payment exactly once ([`payment::confirm`]), invalidating the storefront cache
/// after it. `refunded` and `refund_failed` settle the refund `refund_id` exactly once
/// ([`refunds::settle`]).
pub async fn payment_callback(
    db: &Db,
    cache: &Cache,
    scope: &TenantScope,
    body: &[u8],
    signature: Option<&str>,
    parse: impl FnOnce(&[u8]) -> Option<PaymentEvent>,
) -> Result<CallbackOutcome, OrderError> {
    let secret = db
        .tenant_tx(scope, async |tx| repo::brand_settings(tx).await)
        .await?
        .payment_webhook_secret;
    let secret = secret.ok_or(OrderError::Unauthorized(
        "this brand accepts no payment callbacks (no secret configured)",
    ))?;
    verify_signature(&secret, body, signature)?;
    let event = parse(body).ok_or(OrderError::Malformed("the body is not a PaymentCallback"))?;
    let settlement = Settlement::from_status(&event.status);
    if event.status != "succeeded" && settlement.is_none() {
        return Ok(CallbackOutcome::Ignored);
    }
    if event.event_id.is_empty() || event.event_id.len() > 200 || event.event_id.contains('\0') {
        return Err(OrderError::Invalid(vec![FieldError::new(
            "event_id",
            "1 to 200 characters",
        )]));
    }
    if let Some(settlement) = settlement {
        let refund_id = event.refund_id.ok_or_else(|| {
            OrderError::Invalid(vec![FieldError::new(
                "refund_id",
                "required with a refund status",
            )])
        })?;
        let (outcome, order) = refunds::settle(
            db,
            scope,
            &RefundEvent {
                event_id: &event.event_id,
                order_id: event.order_id,
                refund_id,
                amount_minor: event.amount_minor,
                currency: &event.currency,
                settlement,
            },
        )
        .await?;
        return Ok(CallbackOutcome::Refund {
            outcome,
            order: Box::new(order),
        });
    }
    let (outcome, order) = payment::confirm(
        db,
        scope,
        OrderRef::Id(event.order_id),
        PaymentSource::Provider {
            event_id: &event.event_id,
            amount_minor: event.amount_minor,
            currency: &event.currency,
        },
    )
    .await?;
    cache.invalidate_catalog(scope).await;
    Ok(CallbackOutcome::Applied {
        outcome,
        order: Box::new(order),
    })
}

/// Checks `X-Payment-Signature: sha256=<hex HMAC-SHA256 of the body>`, in constant time.
fn verify_signature(secret: &str, body: &[u8], header: Option<&str>) -> Result<(), OrderError> {
    let bad = || OrderError::Unauthorized("missing or invalid X-Payment-Signature");
    let hex_sig = header
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .ok_or_else(bad)?;
    let sig = hex::decode(hex_sig).map_err(|_| bad())?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::verify(&key, body, &sig).map_err(|_| bad())
}

/// Which orders a staff list shows.
#[derive(Debug, Clone, Copy)]
pub struct OrderQuery<'a> {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// The customer's email as typed (normalised here).
    pub customer_email: Option<&'a str>,
    /// Orders numbered below this one (the previous page's `next_before`).
    pub before: Option<i32>,
    /// Page size.
    pub limit: usize,
}

/// A page of orders, newest first.
pub struct OrderList {
    /// The page's orders.
    pub items: Vec<OrderSummary>,
    /// Pass as `before` for the next (older) page; `None` on the last.
    pub next_before: Option<i32>,
}

/// The brand's orders, newest first, filtered by status, creation time and customer email.
pub async fn list_orders(
    db: &Db,
    scope: &TenantScope,
    q: &OrderQuery<'_>,
) -> Result<OrderList, OrderError> {
    if let Some(email) = q.customer_email {
        refuse_nul(email).map_err(|e| {
            OrderError::Invalid(vec![FieldError::new("customer_email", e.message())])
        })?;
    }
    let email = q.customer_email.map(normalise_email);
    let filter = repo::OrderFilter {
        before_number: q.before,
        status: q.status,
        from: q.from,
        to: q.to,
        customer_email: email.as_deref(),
        limit: q.limit as i64 + 1,
    };
    let mut items = db
        .tenant_tx(scope, async |tx| repo::orders_list(tx, &filter).await)
        .await?;
    let more = items.len() > q.limit;
    items.truncate(q.limit);
    let next_before = more.then(|| items.last().map(|o| o.number)).flatten();
    Ok(OrderList { items, next_before })
}

/// One order with its lines, holds and stock movements, for staff.
pub async fn staff_order(db: &Db, scope: &TenantScope, number: i32) -> Result<Order, OrderError> {
    db.tenant_tx(scope, async |tx| {
        load_order(tx, None, Some(number), true).await
    })
    .await?
    .ok_or(OrderError::NotFound("no such order"))
}

/// What is still to pick for paid and partially shipped orders, per zone (all, or the one with
/// this code) and SKU: the units sold there that have not shipped yet.
pub async fn pick_list(
    db: &Db,
    scope: &TenantScope,
    zone: Option<&str>,
) -> Result<Vec<PickRow>, OrderError> {
    Ok(db
        .tenant_tx(scope, async |tx| {
            repo::pick_list(tx, scope.tenant_id(), zone).await
        })
        .await?)
}

/// The brand's customers, newest first; `q` filters by name or email (as text, not a pattern).
pub async fn customers(
    db: &Db,
    scope: &TenantScope,
    q: Option<&str>,
) -> Result<Vec<CustomerRow>, OrderError> {
    if let Some(q) = q {
        refuse_nul(q).map_err(|e| OrderError::Invalid(vec![FieldError::new("q", e.message())]))?;
    }
    let pattern = q.map(escape_like);
    Ok(db
        .tenant_tx(scope, async |tx| {
            repo::customers_list(tx, pattern.as_deref(), CUSTOMER_LIMIT).await
        })
        .await?)
}

/// The brand's order settings (the secret itself never leaves the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSettings {
    /// How long checkout holds units for an unpaid order, in minutes.
    pub hold_minutes: i32,
    /// Whether a payment webhook secret is set.
    pub has_payment_webhook_secret: bool,
    /// Units of one SKU one checkout may hold.
    pub max_units_per_sku: i32,
    /// Unpaid orders holding stock per customer email, and per phone.
    pub max_open_orders_per_customer: i32,
    /// Whether catalog and shipping prices include tax.
    pub prices_include_tax: bool,
    /// The country taxed when a checkout gives no shipping address.
    pub tax_origin_country: Option<String>,
}

impl From<repo::BrandSettings> for OrderSettings {
    fn from(s: repo::BrandSettings) -> Self {
        Self {
            hold_minutes: s.hold_minutes,
            has_payment_webhook_secret: s.payment_webhook_secret.is_some(),
            max_units_per_sku: s.max_units_per_sku,
            max_open_orders_per_customer: s.max_open_orders_per_customer,
            prices_include_tax: s.prices_include_tax,
            tax_origin_country: s.tax_origin_country,
        }
    }
}

/// Changes to the order settings: `None` keeps a value, `Some(None)` removes the secret.
#[derive(Debug, Default)]
pub struct OrderSettingsChange {
    /// 1 to 1440.
    pub hold_minutes: Option<i32>,
    /// 16 to 200 characters.
    pub payment_webhook_secret: Option<Option<String>>,
    /// 1 to [`checkout::MAX_QUANTITY`].
    pub max_units_per_sku: Option<i32>,
    /// 1 to 100.
    pub max_open_orders_per_customer: Option<i32>,
    pub prices_include_tax: Option<bool>,
    /// An ISO 3166-1 alpha-2 code; `Some(None)` removes it.
    pub tax_origin_country: Option<Option<String>>,
}

/// The brand's order settings.
pub async fn order_settings(db: &Db, scope: &TenantScope) -> Result<OrderSettings, OrderError> {
    Ok(db
        .tenant_tx(scope, async |tx| repo::brand_settings(tx).await)
        .await?
        .into())
}

/// The invalid fields of a change.
fn settings_errors(change: &OrderSettingsChange) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let ranges = [
        ("hold_minutes", change.hold_minutes, 1..=1440),
        (
            "max_units_per_sku",
            change.max_units_per_sku,
            1..=checkout::MAX_QUANTITY,
        ),
        (
            "max_open_orders_per_customer",
            change.max_open_orders_per_customer,
            1..=100,
        ),
    ];
    for (field, value, range) in ranges {
        if let Some(v) = value
            && !range.contains(&v)
        {
            errors.push(FieldError::new(
                field,
                format!("{} to {}", range.start(), range.end()),
            ));
        }
    }
    if let Some(Some(s)) = &change.payment_webhook_secret
        && !(16..=200).contains(&s.len())
    {
        errors.push(FieldError::new(
            "payment_webhook_secret",
            "16 to 200 characters",
        ));
    }
    if let Some(Some(country)) = &change.tax_origin_country
        && let Err(e) = CountryCode::parse(country)
    {
        errors.push(FieldError::new("tax_origin_country", e.into_message()));
    }
    errors
}

/// Validates and applies a change, audited in the same transaction; returns the settings as
/// they now are.
pub async fn update_order_settings(
    db: &Db,
    scope: &TenantScope,
    change: &OrderSettingsChange,
) -> Result<OrderSettings, OrderError> {
    let errors = settings_errors(change);
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    let secret = change.payment_webhook_secret.as_ref().map(|s| s.as_deref());
    let stored = repo::BrandSettingsChange {
        hold_minutes: change.hold_minutes,
        secret,
        max_units_per_sku: change.max_units_per_sku,
        max_open_orders_per_customer: change.max_open_orders_per_customer,
        prices_include_tax: change.prices_include_tax,
        tax_origin_country: change.tax_origin_country.as_ref().map(|c| c.as_deref()),
    };
    let settings = db
        .tenant_tx(scope, async |tx| {
            repo::upsert_brand_settings(tx, &stored).await?;
            audit::record(
                tx,
                "brand.order_settings",
                scope.slug(),
                serde_json::json!({
                    "hold_minutes": change.hold_minutes,
                    "secret_changed": secret.is_some(),
                    "max_units_per_sku": change.max_units_per_sku,
                    "max_open_orders_per_customer": change.max_open_orders_per_customer,
                    "prices_include_tax": change.prices_include_tax,
                    "tax_origin_country": change.tax_origin_country,
                }),
            )
            .await?;
            repo::brand_settings(tx).await
        })
        .await?;
    Ok(settings.into())
}
