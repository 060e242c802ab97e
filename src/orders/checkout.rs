//! Checkout: one tenant transaction that reserves every line or nothing.
//!
//! 1. an advisory lock on (brand, Idempotency-Key) serialises retries; a key seen before
//!    returns the order it made (or 422 if the request differs);
//! 2. the brand's caps hold (see [`enforce_caps`]): no SKU over `max_units_per_sku` units (a
//!    422 naming the line), and, under an advisory lock per (brand, email) and per (brand,
//!    phone), fewer than `max_open_orders_per_customer` unpaid orders still holding stock for
//!    that email or phone (else a 409 `open-order-limit`); a replay (step 1) is never refused;
//! 3. the SKUs are resolved within the brand (another brand's SKU is just unknown), and the
//!    order is priced on the server ([`super::charges`]: the promotions' discounts, tax per
//!    line after them, the shipping method's price, the totals; an ineligible method is a
//!    422, an unknown, inapplicable or used-up promo code a 422 or 409); [`quote`] prices a
//!    basket through the same function without holding anything;
//! 4. the stock rows of every variant involved are locked in the global order, expired holds on
//!    them are released, and the lines are allocated (preferred zone first, then active zones
//!    by priority; one line may be split across zones; lines sharing a row see each other);
//! 5. the customer (found by email; a stored name or phone is never overwritten, only missing
//!    ones filled), the order (`pending_payment`, with its own snapshot of the name and phone
//!    this checkout sent), its lines and holds are written, `reserved` goes up with a ledger
//!    row per hold, and the order's expiry is queued for when its holds run out. Any shortage
//!    is a 409 listing, per SKU, requested and available;
//! 6. each applied promotion's use is taken (held) by a conditional update of its row, and the
//!    order's and lines' discounts stored ([`crate::promotions::service::record_order`]).
//!
//! Lock order: the idempotency key, the customer's email, the customer's phone, the stock
//! rows, then the promotion rows (by id); every checkout takes them in that order.
//!
//! Deadlocks cannot happen between checkouts (one lock order); serialisation failures and
//! deadlocks with other work are retried (`tenant_tx_retry`), never shown to the client.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    Order, OrderError,
    charges::{self, Charges},
    load_order, repo,
    status::{HoldStatus, OrderStatus},
};
use crate::{
    db::{Db, Tx},
    error::{FieldError, FieldErrors, UnavailableItem},
    events,
    identity::service::normalise_email,
    inventory::{self, engine, movement::MovementKind},
    jobs,
    promotions::service as promotions,
    scope::TenantScope,
    types::{
        Address, AddressInput, DisplayName, Email, LanguageCode, PhoneNumber, Quantity, Sku, Slug,
        ZoneCode,
    },
};

pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: i32 = 1000;

/// The units of one checkout line.
pub type LineQuantity = Quantity<MAX_QUANTITY>;

#[derive(Debug, Clone, Serialize)]
pub struct LineInput {
    pub sku: String,
    pub quantity: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerInput {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub preferred_language: Option<String>,
}

/// A checkout as sent. Serialised into the idempotency hash: the fields added with shipping
/// are left out of it when not sent, so a request without them hashes as it always did.
#[derive(Debug, Clone, Serialize)]
pub struct CheckoutInput {
    pub lines: Vec<LineInput>,
    pub customer: CustomerInput,
    pub preferred_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<AddressInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<AddressInput>,
    /// A shipping method's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
    /// Promo codes, as sent (left out of the hash when none, like the delivery fields).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promo_codes: Vec<String>,
}

/// The checked shipping and billing addresses of a checkout, with the invalid fields of both
/// (named `shipping_address.postal_code`, ...).
fn addresses(input: &CheckoutInput) -> (Option<Address>, Option<Address>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut parse = |prefix: &str, a: &Option<AddressInput>| {
        a.as_ref().and_then(|a| match Address::parse(a) {
            Ok(a) => Some(a),
            Err(bad) => {
                errors.extend(bad.into_iter().map(|(field, e)| {
                    FieldError::new(format!("{prefix}.{field}"), e.into_message())
                }));
                None
            }
        })
    };
    let shipping = parse("shipping_address", &input.shipping_address);
    let billing = parse("billing_address", &input.billing_address);
    (shipping, billing, errors)
}

fn validate(key: &str, input: &CheckoutInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        errors.push(FieldError::new(
            "Idempotency-Key",
            "1 to 200 visible ASCII characters",
        ));
    }
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        errors.push(FieldError::new("lines", format!("1 to {MAX_LINES} lines")));
    }
    for (i, line) in input.lines.iter().enumerate() {
        errors.check(format!("lines[{i}].sku"), Sku::parse(&line.sku));
        errors.check(
            format!("lines[{i}].quantity"),
            LineQuantity::try_from(line.quantity),
        );
    }
    let c = &input.customer;
    errors.check("customer.name", DisplayName::parse(&c.name));
    errors.check("customer.email", Email::parse(&c.email));
    if let Some(phone) = &c.phone {
        errors.check("customer.phone", PhoneNumber::parse(phone));
    }
    if let Some(lang) = &c.preferred_language {
        errors.check("customer.preferred_language", LanguageCode::parse(lang));
    }
    errors.extend(addresses(input).2);
    if let Some(code) = &input.shipping_method {
        errors.check("shipping_method", Slug::parse(code.trim()));
    }
    if let Err(bad) = promotions::check_codes(&input.promo_codes) {
        errors.extend(bad);
    }
    errors
}

/// Places an order, or returns the one this Idempotency-Key already placed (`true`).
pub async fn checkout(
    db: &Db,
    scope: &TenantScope,
    key: &str,
    input: &CheckoutInput,
) -> Result<(Order, bool), OrderError> {
    let errors = validate(key, input);
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    let request_hash = request_hash(input);
    let lock_key = format!("{}:{key}", scope.tenant_id());
    let currency = scope.tenant().currency.clone();
    let (shipping_address, billing_address, _) = addresses(input);

    db.tenant_tx_retry(scope, || {
        async |tx| {
            repo::idempotency_lock(tx, &lock_key).await?;
            if let Some((id, hash)) = repo::order_by_idempotency_key(tx, key).await? {
                if hash != request_hash {
                    return Err(OrderError::IdempotencyMismatch);
                }
                let order = load_order(tx, Some(id), None, false)
                    .await?
                    .ok_or(OrderError::NotFound("no such order"))?;
                return Ok((order, true));
            }
            let settings = repo::brand_settings(tx).await?;
            enforce_caps(tx, scope, input, &settings).await?;
            let resolved = resolve(tx, &input.lines, input.preferred_zone.as_deref()).await?;
            let line_variants: Vec<&repo::SellableVariant> = input
                .lines
                .iter()
                .filter_map(|l| resolved.variants.get(l.sku.trim()))
                .collect();
            let email = normalise_email(&input.customer.email);
            let basket = charges::Basket {
                lines: &input.lines,
                shipping_method: input.shipping_method.as_deref(),
                ship_to: shipping_address.as_ref().map(|a| a.country.as_str()),
                promo_codes: &input.promo_codes,
                email: Some(&email),
            };
            let charges = charges::charge(tx, scope, &basket, &settings, &line_variants).await?;
            let (allocations, deltas) =
                reserve(tx, input, &line_variants, resolved.preferred_zone).await?;
            let placed = Placement {
                tenant: scope.tenant_id(),
                key,
                request_hash: &request_hash,
                currency: &currency,
                preferred_zone: resolved.preferred_zone,
                charges: &charges,
                shipping_address: shipping_address.as_ref(),
                billing_address: billing_address.as_ref(),
            };
            let order_id =
                write_order(tx, input, &line_variants, &allocations, deltas, &placed).await?;
            let order = load_order(tx, Some(order_id), None, false)
                .await?
                .ok_or(OrderError::NotFound("no such order"))?;
            Ok((order, false))
        }
    })
    .await
}

/// The brand's caps on one checkout, checked before anything is locked or written: per SKU,
/// at most `max_units_per_sku` units over all the lines naming it (a 422 naming the line that
/// goes over), and fewer than `max_open_orders_per_customer` unpaid orders still holding stock
/// for the email, and for the phone when one is given (a 409). The customer locks are held
/// until the transaction ends, so concurrent checkouts of one customer count one another.
async fn enforce_caps(
    tx: &Tx<'_>,
    scope: &TenantScope,
    input: &CheckoutInput,
    settings: &repo::BrandSettings,
) -> Result<(), OrderError> {
    let errors = over_unit_cap(input, settings.max_units_per_sku);
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    let email = normalise_email(&input.customer.email);
    let phone = input.customer.phone.as_deref();
    repo::customer_lock(tx, &format!("{}:email:{email}", scope.tenant_id())).await?;
    if let Some(phone) = phone {
        repo::customer_lock(tx, &format!("{}:phone:{phone}", scope.tenant_id())).await?;
    }
    let cap = i64::from(settings.max_open_orders_per_customer);
    let (by_email, by_phone) = repo::open_orders(tx, &email, phone).await?;
    let what = if by_email >= cap {
        "this email"
    } else if by_phone >= cap {
        "this phone number"
    } else {
        return Ok(());
    };
    Err(OrderError::OpenOrderLimit(format!(
        "{what} already has {cap} unpaid orders holding stock in this brand (the most it \
         allows): pay for one, or wait until one expires"
    )))
}

/// The lines that take a SKU over `cap` units in this checkout (lines of one SKU add up).
fn over_unit_cap(input: &CheckoutInput, cap: i32) -> Vec<FieldError> {
    let mut units: HashMap<&str, i64> = HashMap::new();
    let mut errors = Vec::new();
    for (i, line) in input.lines.iter().enumerate() {
        let sku = line.sku.trim();
        let total = units.entry(sku).or_default();
        let before = *total;
        *total += i64::from(line.quantity);
        if before <= i64::from(cap) && *total > i64::from(cap) {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                format!("at most {cap} units of {sku} per order in this brand"),
            ));
        }
    }
    errors
}

/// What identifies a request under its Idempotency-Key: the SHA-256 of its JSON.
#[expect(
    clippy::expect_used,
    reason = "CheckoutInput is structs of strings and integers, which serde_json always writes"
)]
fn request_hash(input: &CheckoutInput) -> Vec<u8> {
    Sha256::digest(serde_json::to_vec(input).expect("the input serialises")).to_vec()
}

/// The request's SKUs and preferred zone, found within the brand.
struct Resolved {
    variants: HashMap<String, repo::SellableVariant>,
    preferred_zone: Option<Uuid>,
}

/// Finds every line's variant and the preferred zone within this brand (another brand's SKU
/// is simply unknown here); a 422 names every line that is unknown or not for sale.
async fn resolve(
    tx: &Tx<'_>,
    lines: &[LineInput],
    preferred_zone: Option<&str>,
) -> Result<Resolved, OrderError> {
    let skus: Vec<String> = lines
        .iter()
        .map(|l| l.sku.trim().to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let variants: HashMap<String, repo::SellableVariant> = repo::variants_for_checkout(tx, &skus)
        .await?
        .into_iter()
        .map(|v| (v.sku.clone(), v))
        .collect();
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match variants.get(line.sku.trim()) {
            None => errors.push(FieldError::new(
                format!("lines[{i}].sku"),
                "no such SKU in this brand",
            )),
            Some(v) if !v.sellable => {
                errors.push(FieldError::new(format!("lines[{i}].sku"), "not for sale"))
            }
            Some(_) => {}
        }
    }
    let preferred_zone = match preferred_zone {
        None => None,
        Some(code) => {
            // A malformed code names no zone either.
            let zone = match ZoneCode::parse(code) {
                Ok(code) => inventory::service::active_zone(tx, code.as_str()).await?,
                Err(_) => None,
            };
            if zone.is_none() {
                errors.push(FieldError::new("preferred_zone", "no such active zone"));
            }
            zone
        }
    };
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    Ok(Resolved {
        variants,
        preferred_zone,
    })
}

/// Locks the stock rows of every variant involved (one global order), releases expired holds
/// on them and allocates the lines; a shortage is a 409 listing each short SKU.
async fn reserve(
    tx: &Tx<'_>,
    input: &CheckoutInput,
    line_variants: &[&repo::SellableVariant],
    preferred_zone: Option<Uuid>,
) -> Result<(Vec<engine::Allocation>, Vec<engine::Delta>), OrderError> {
    let variant_ids: Vec<Uuid> = line_variants
        .iter()
        .map(|v| v.id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut rows = engine::lock_rows(tx, &variant_ids).await?;
    let deltas = engine::release_expired(tx, &variant_ids, &mut rows).await?;
    let demands: Vec<engine::Demand> = input
        .lines
        .iter()
        .zip(line_variants)
        .enumerate()
        .map(|(i, (l, v))| engine::Demand {
            line: i,
            variant_id: v.id,
            quantity: l.quantity,
        })
        .collect();
    let allocations = engine::allocate(&demands, &mut rows, preferred_zone).map_err(|short| {
        OrderError::Unavailable(
            short
                .into_iter()
                .map(|s| UnavailableItem {
                    sku: line_variants
                        .iter()
                        .find(|v| v.id == s.variant_id)
                        .map(|v| v.sku.clone())
                        .unwrap_or_default(),
                    requested: s.requested,
                    available: s.available,
                })
                .collect(),
        )
    })?;
    Ok((allocations, deltas))
}

/// The order-level facts `write_order` stores.
struct Placement<'a> {
    tenant: Uuid,
    key: &'a str,
    request_hash: &'a [u8],
    currency: &'a str,
    preferred_zone: Option<Uuid>,
    charges: &'a Charges,
    shipping_address: Option<&'a Address>,
    billing_address: Option<&'a Address>,
}

/// The order's lines as stored: each with its price, tax class, rate and tax as charged.
fn new_lines(
    input: &CheckoutInput,
    line_variants: &[&repo::SellableVariant],
    charged: &Charges,
) -> Vec<repo::NewLine> {
    input
        .lines
        .iter()
        .zip(line_variants)
        .zip(charged.totals.lines.iter().zip(&charged.taxes))
        .enumerate()
        .map(|(i, ((l, v), (priced, (class, rate))))| repo::NewLine {
            position: i as i32,
            variant_id: v.id,
            sku: v.sku.clone(),
            quantity: l.quantity,
            unit_price_minor: v.price_minor,
            tax_class: *class,
            tax_rate_bp: *rate,
            tax_minor: priced.tax_minor,
            line_total_minor: priced.total_minor,
        })
        .collect()
}

/// Writes the customer, the order, its lines and holds, raises `reserved` with a ledger row
/// per hold, and queues the order's expiry for when its holds run out.
/// Holds the allocated units for the order's lines (active holds until `expires_at`) and
/// applies them to stock with the other `deltas` of the checkout, through the ledger.
async fn hold_stock(
    tx: &Tx<'_>,
    order_id: Uuid,
    line_ids: &[Uuid],
    allocations: &[engine::Allocation],
    mut deltas: Vec<engine::Delta>,
    expires_at: DateTime<Utc>,
) -> Result<(), OrderError> {
    let new_holds: Vec<repo::NewHold> = allocations
        .iter()
        .map(|a| repo::NewHold {
            line_id: line_ids[a.line],
            variant_id: a.variant_id,
            zone_id: a.zone_id,
            quantity: a.quantity,
        })
        .collect();
    let holds =
        repo::insert_holds(tx, order_id, &new_holds, HoldStatus::Active, expires_at).await?;
    deltas.extend(holds.iter().map(|h| engine::Delta {
        variant_id: h.variant_id,
        zone_id: h.zone_id,
        kind: MovementKind::Reserve,
        on_hand: 0,
        reserved: h.quantity,
        reason: None,
        order_id: Some(order_id),
        hold_id: Some(h.id),
    }));
    engine::apply(tx, &deltas).await?;
    Ok(())
}

async fn write_order(
    tx: &Tx<'_>,
    input: &CheckoutInput,
    line_variants: &[&repo::SellableVariant],
    allocations: &[engine::Allocation],
    deltas: Vec<engine::Delta>,
    placed: &Placement<'_>,
) -> Result<Uuid, OrderError> {
    let c = &input.customer;
    let customer_id = repo::upsert_customer(
        tx,
        c.name.trim(),
        &normalise_email(&c.email),
        c.phone.as_deref(),
        c.preferred_language.as_deref(),
    )
    .await?;
    let number = repo::next_order_number(tx).await?;
    let hold_minutes = repo::hold_minutes(tx).await?;
    let charged = placed.charges;
    let total = charged.totals.total_minor;
    let (order_id, expires_at) = repo::insert_order(
        tx,
        &repo::NewOrder {
            number,
            customer_id,
            currency: placed.currency,
            total_minor: total,
            preferred_zone_id: placed.preferred_zone,
            idempotency_key: placed.key,
            request_hash: placed.request_hash,
            hold_minutes,
            units: input.lines.iter().map(|l| l.quantity).sum(),
            customer_name: c.name.trim(),
            customer_phone: c.phone.as_deref(),
            subtotal_minor: charged.totals.subtotal_minor,
            shipping_minor: charged.totals.shipping_minor,
            tax_minor: charged.totals.tax_minor,
            prices_include_tax: charged.prices_include_tax,
            shipping_address: placed
                .shipping_address
                .and_then(|a| serde_json::to_value(a).ok()),
            billing_address: placed
                .billing_address
                .and_then(|a| serde_json::to_value(a).ok()),
            shipping_method: charged
                .method
                .as_ref()
                .map(|(code, name)| (code.as_str(), name.as_str())),
        },
    )
    .await?;
    let lines = new_lines(input, line_variants, charged);
    let line_ids = repo::insert_lines(tx, order_id, &lines).await?;
    promotions::record_order(
        tx,
        placed.tenant,
        order_id,
        &line_ids,
        &normalise_email(&c.email),
        &charged.discounts,
    )
    .await?;
    hold_stock(tx, order_id, &line_ids, allocations, deltas, expires_at).await?;
    jobs::enqueue(
        tx,
        jobs::JobKind::ExpireOrder,
        &order_id.to_string(),
        expires_at,
    )
    .await?;
    // Last: the brand's event counter stays locked from here to COMMIT. Who ordered is
    // customer personal data: kept apart, for roles with customers.read only.
    events::record(
        tx,
        events::EventType::OrderCreated,
        &number.to_string(),
        serde_json::json!({
            "order_id": order_id,
            "number": number,
            "status": OrderStatus::PendingPayment,
            "total_minor": total,
            "discount_minor": charged.totals.discount_minor,
            "currency": placed.currency,
            "holds_expire_at": expires_at,
        }),
        Some(serde_json::json!({
            "name": c.name.trim(),
            "email": normalise_email(&c.email),
            "phone": c.phone,
        })),
    )
    .await?;
    Ok(order_id)
}

/// A basket to price without holding anything (`POST /v1/storefront/quotes`).
#[derive(Debug, Clone, Default)]
pub struct QuoteInput {
    pub lines: Vec<LineInput>,
    pub promo_codes: Vec<String>,
    /// The shipping address's country (ISO 3166-1 alpha-2): the tax country and where the
    /// shipping method must ship to.
    pub country: Option<String>,
    pub shipping_method: Option<String>,
    /// For promotions limited to some customers, to a first order, or per customer.
    pub customer_email: Option<String>,
}

/// One priced line of a quote.
#[derive(Debug, Clone)]
pub struct QuotedLine {
    pub sku: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub tax_rate_bp: i32,
    pub priced: crate::delivery::pricing::LineOut,
}

/// A priced basket: what a checkout with the same lines, codes, country, method and email
/// would charge now (stock and uses are not held: a checkout may still find them gone).
#[derive(Debug, Clone)]
pub struct Quoted {
    pub currency: String,
    pub prices_include_tax: bool,
    pub lines: Vec<QuotedLine>,
    pub totals: crate::delivery::pricing::Totals,
    /// The method's code and name.
    pub shipping_method: Option<(String, String)>,
    pub promotions: Vec<crate::promotions::AppliedPromotion>,
}

fn validate_quote(input: &QuoteInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        errors.push(FieldError::new("lines", format!("1 to {MAX_LINES} lines")));
    }
    for (i, line) in input.lines.iter().enumerate() {
        errors.check(format!("lines[{i}].sku"), Sku::parse(&line.sku));
        errors.check(
            format!("lines[{i}].quantity"),
            LineQuantity::try_from(line.quantity),
        );
    }
    if let Some(country) = &input.country {
        errors.check("country", crate::types::CountryCode::parse(country));
    }
    if let Some(code) = &input.shipping_method {
        errors.check("shipping_method", Slug::parse(code.trim()));
    }
    if let Some(email) = &input.customer_email {
        errors.check("customer_email", Email::parse(email));
    }
    if let Err(bad) = promotions::check_codes(&input.promo_codes) {
        errors.extend(bad);
    }
    errors
}

/// Prices a basket exactly as checkout would (the same [`charges::charge`]), in a read-only
/// transaction: nothing is reserved, no use of a promotion is taken.
pub async fn quote(db: &Db, scope: &TenantScope, input: &QuoteInput) -> Result<Quoted, OrderError> {
    let errors = validate_quote(input);
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    let email = input.customer_email.as_deref().map(normalise_email);
    let country = input
        .country
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase());
    let currency = scope.tenant().currency.clone();
    db.tenant_read(scope, || {
        async |tx| {
            let settings = repo::brand_settings(tx).await?;
            let resolved = resolve(tx, &input.lines, None).await?;
            let line_variants: Vec<&repo::SellableVariant> = input
                .lines
                .iter()
                .filter_map(|l| resolved.variants.get(l.sku.trim()))
                .collect();
            let basket = charges::Basket {
                lines: &input.lines,
                shipping_method: input.shipping_method.as_deref(),
                ship_to: country.as_deref(),
                promo_codes: &input.promo_codes,
                email: email.as_deref(),
            };
            let charged = charges::charge(tx, scope, &basket, &settings, &line_variants).await?;
            Ok(Quoted {
                currency: currency.clone(),
                prices_include_tax: charged.prices_include_tax,
                lines: input
                    .lines
                    .iter()
                    .zip(&line_variants)
                    .zip(charged.totals.lines.iter().zip(&charged.taxes))
                    .map(|((l, v), (priced, (_, rate)))| QuotedLine {
                        sku: v.sku.clone(),
                        quantity: l.quantity,
                        unit_price_minor: v.price_minor,
                        tax_rate_bp: *rate,
                        priced: *priced,
                    })
                    .collect(),
                totals: charged.totals.clone(),
                shipping_method: charged.method.clone(),
                promotions: charged.discounts.applied.clone(),
            })
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_named() {
        let input = CheckoutInput {
            lines: vec![LineInput {
                sku: "".into(),
                quantity: 0,
            }],
            customer: CustomerInput {
                name: "".into(),
                email: "nope".into(),
                phone: Some("123".into()),
                preferred_language: Some("ES".into()),
            },
            preferred_zone: None,
            shipping_address: None,
            billing_address: None,
            shipping_method: None,
            promo_codes: Vec::new(),
        };
        let fields: Vec<String> = validate("", &input).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "Idempotency-Key",
                "lines[0].sku",
                "lines[0].quantity",
                "customer.name",
                "customer.email",
                "customer.phone",
                "customer.preferred_language"
            ]
        );
    }

    #[test]
    fn a_request_without_delivery_fields_hashes_as_before_they_existed() {
        let input = CheckoutInput {
            lines: vec![LineInput {
                sku: "FBX-HAIR-0001".into(),
                quantity: 1,
            }],
            customer: CustomerInput {
                name: "Ana".into(),
                email: "ana@example.com".into(),
                phone: None,
                preferred_language: None,
            },
            preferred_zone: None,
            shipping_address: None,
            billing_address: None,
            shipping_method: None,
            promo_codes: Vec::new(),
        };
        // The document the previous release hashed for the same request.
        let before = br#"{"lines":[{"sku":"FBX-HAIR-0001","quantity":1}],"customer":{"name":"Ana","email":"ana@example.com","phone":null,"preferred_language":null},"preferred_zone":null}"#;
        assert_eq!(request_hash(&input), Sha256::digest(before).to_vec());
    }

    #[test]
    fn a_nul_in_any_text_is_a_field_error() {
        let input = CheckoutInput {
            lines: vec![LineInput {
                sku: "FBX-HAIR-0001\0".into(),
                quantity: 1,
            }],
            customer: CustomerInput {
                name: "Ana\0".into(),
                email: "ana@example.com\0".into(),
                phone: None,
                preferred_language: None,
            },
            preferred_zone: None,
            shipping_address: None,
            billing_address: None,
            shipping_method: None,
            promo_codes: Vec::new(),
        };
        let fields: Vec<String> = validate("k", &input).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["lines[0].sku", "customer.name", "customer.email"]);
    }
}
