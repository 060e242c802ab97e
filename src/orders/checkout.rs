//! Checkout: one tenant transaction that reserves every line or nothing.
//!
//! 1. an advisory lock on (brand, Idempotency-Key) serialises retries; a key seen before
//!    returns the order it made (or 422 if the request differs);
//! 2. the brand's caps hold (see [`check_caps`]): no SKU over `max_units_per_sku` units (a
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
//! Round trips: the locks and reads of steps 1 to 4 go to PostgreSQL at once ([`read`]: it
//! runs them in the order sent, which is the lock order), the decisions are taken in memory,
//! and steps 5 and 6 with the `order.created` event and the COMMIT go at once too ([`place`]);
//! the answer is built from what was written. So a checkout is BEGIN, then its scope with the
//! reads, then the writes with the COMMIT: three round trips (and the empty read-only
//! transaction [`crate::db::Tx::query_and_commit`] leaves, ended after the brand's rows were
//! released). The brand's order counter, the one row every checkout of a brand takes, stays
//! locked from the statement that takes it to the COMMIT right behind it, with no round trip
//! to this process in between (`bench/README.md`, reservations, lists the statements).
//!
//! Lock order: the idempotency key, the customer's email, the customer's phone, the stock
//! rows, the expired holds on them, then the order counter, the promotion rows (by id) and
//! the event counter; every checkout takes them in that order.
//!
//! Deadlocks cannot happen between checkouts (one lock order); serialisation failures and
//! deadlocks with other work are retried (`tenant_tx_retry`), never shown to the client.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use futures::TryFutureExt as _;
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
    db::{Db, DbError, Tx},
    error::{FieldError, FieldErrors, UnavailableItem},
    events,
    identity::service::normalise_email,
    inventory::{self, engine, movement::MovementKind},
    jobs,
    promotions::service as promotions,
    scope::TenantScope,
    types::{
        Address, AddressInput, DisplayName, Email, LanguageCode, Nullable, PhoneNumber, Quantity,
        Sku, Slug, ZoneCode,
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
///
/// Three round trips inside the transaction (after its BEGIN and scope, before its COMMIT):
/// [`read`] sends every lock and read the decision needs at once, the caps, the SKUs, the
/// prices and the stock are checked in memory, and [`place`] writes the order, its lines,
/// holds, stock changes, ledger rows, expiry job and event in one more round trip. The
/// answer is built from what was written, not read back.
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
    let currency = scope.tenant().currency.clone();
    let (shipping_address, billing_address, _) = addresses(input);

    db.tenant_tx_retry(scope, || {
        async |tx| {
            let read = read(tx, scope, key, input, shipping_address.as_ref()).await?;
            let Read {
                existing,
                settings,
                open,
                variants,
                preferred_zone,
                terms,
                mut rows,
                ended,
                levels,
            } = read;
            // Expired holds on these rows were ended on the way: their units go back to stock
            // whatever this request turns out to be.
            let released = engine::free(ended, &mut rows);
            if let Some((id, hash)) = existing {
                if hash != request_hash {
                    return Err(OrderError::IdempotencyMismatch);
                }
                engine::apply(tx, &released).await?;
                let order = load_order(tx, Some(id), None, false)
                    .await?
                    .ok_or(OrderError::NotFound("no such order"))?;
                return Ok((order, true));
            }
            check_caps(input, &settings, &open)?;
            let preferred_zone = check_resolved(&input.lines, &variants, preferred_zone)?;
            let line_variants: Vec<&repo::SellableVariant> = input
                .lines
                .iter()
                .filter_map(|l| variants.get(l.sku.trim()))
                .collect();
            let email = normalise_email(&input.customer.email);
            let basket = charges::Basket {
                lines: &input.lines,
                shipping_method: input.shipping_method.as_deref(),
                ship_to: shipping_address.as_ref().map(|a| a.country.as_str()),
                promo_codes: &input.promo_codes,
                email: Some(&email),
            };
            let charges =
                charges::charge(tx, scope, &basket, &settings, &line_variants, terms).await?;
            let allocations = allocate(input, &line_variants, &mut rows, preferred_zone)?;
            let placed = Placed {
                tenant: scope.tenant_id(),
                key,
                request_hash: &request_hash,
                currency: &currency,
                preferred_zone,
                charges: &charges,
                shipping_address: shipping_address.as_ref(),
                billing_address: billing_address.as_ref(),
                expires_at: open.now + chrono::Duration::minutes(i64::from(settings.hold_minutes)),
            };
            let order = place(
                tx,
                input,
                &line_variants,
                &rows,
                &allocations,
                released,
                &levels,
                &placed,
            )
            .await?;
            Ok((order, false))
        }
    })
    .await
}

/// What [`read`] finds.
struct Read {
    /// The order this Idempotency-Key placed before, with its request's hash.
    existing: Option<(Uuid, Vec<u8>)>,
    settings: repo::BrandSettings,
    /// The customer's open orders, and the transaction's now().
    open: repo::OpenOrders,
    /// The lines' variants in this brand, by SKU.
    variants: HashMap<String, repo::SellableVariant>,
    /// The preferred zone, when one was named: its id if it is an active zone.
    preferred_zone: Option<Option<Uuid>>,
    terms: charges::Terms,
    /// The stock rows of the lines' variants, locked.
    rows: Vec<engine::LockedRow>,
    /// The expired holds on those rows, just ended.
    ended: Vec<engine::Ended>,
    /// The lines' variants with a reorder threshold, and their units available before.
    levels: Vec<engine::Level>,
}

/// Every lock and read a checkout decides with, sent in one round trip. PostgreSQL runs them
/// one after the other in this order, which is the lock order: the idempotency key (then the
/// lookup of the key, which so sees an earlier attempt's order once it committed), the
/// customer's email, then phone (then the count of their open orders), then the stock rows
/// of the lines' variants (then the expired holds on them are ended and the thresholds read).
/// The promotion rows come last, in [`place`]. A replay and a refused checkout took the
/// locks for nothing, briefly; the caps, the SKUs and the prices are checked in memory.
///
/// The lookup of the lines' variants and the lock of their stock rows run on their generic
/// plans (`plan_cache_mode` set around them, in the same round trip): with an array of SKUs
/// as a parameter, PostgreSQL's plan cache keeps planning them afresh for every call (a
/// one-SKU array makes each custom plan look cheaper than the generic one), 0.4 and 0.5 ms
/// of planning against well under 0.1 ms of execution, while their generic plans are the
/// same index scans. Not for the whole transaction: the generic plans of the open-orders
/// count and of the expiry of overdue holds are slower than their custom ones (bench/README.md,
/// "Planned once"). On a connection's first checkout the two statements are prepared first
/// (a round trip each), so they reach the server after both `SET`s and are planned as usual:
/// a plan choice only, never a different answer.
async fn read(
    tx: &Tx<'_>,
    scope: &TenantScope,
    key: &str,
    input: &CheckoutInput,
    shipping_address: Option<&Address>,
) -> Result<Read, OrderError> {
    let tenant = scope.tenant_id();
    let email = normalise_email(&input.customer.email);
    let email_key = format!("{tenant}:email:{email}");
    let phone = input.customer.phone.as_deref();
    let phone_key = phone.map(|p| format!("{tenant}:phone:{p}"));
    let lock_key = format!("{tenant}:{key}");
    let skus = skus_of(&input.lines);
    let ship_to = shipping_address.map(|a| a.country.as_str());
    let (
        _,
        existing,
        settings,
        _,
        _,
        open,
        preferred_zone,
        terms,
        _,
        variants,
        rows,
        _,
        ended,
        levels,
    ) = futures::try_join!(
        repo::idempotency_lock(tx, &lock_key).err_into::<OrderError>(),
        repo::order_by_idempotency_key(tx, key).err_into::<OrderError>(),
        repo::brand_settings(tx).err_into::<OrderError>(),
        repo::customer_lock(tx, &email_key).err_into::<OrderError>(),
        async {
            if let Some(k) = &phone_key {
                repo::customer_lock(tx, k).await?;
            }
            Ok::<_, OrderError>(())
        },
        repo::open_orders(tx, &email, phone).err_into::<OrderError>(),
        preferred_zone(tx, input.preferred_zone.as_deref()),
        charges::terms(tx, tenant, ship_to, &input.promo_codes),
        plan_cache_mode(tx, "force_generic_plan"),
        repo::variants_for_checkout(tx, &skus).err_into::<OrderError>(),
        engine::lock_rows_by_sku(tx, &skus).err_into::<OrderError>(),
        plan_cache_mode(tx, "default"),
        engine::release_expired_by_sku(tx, &skus).err_into::<OrderError>(),
        engine::threshold_levels_by_sku(tx, &skus).err_into::<OrderError>(),
    )?;
    Ok(Read {
        existing,
        settings,
        open,
        variants: variants.into_iter().map(|v| (v.sku.clone(), v)).collect(),
        preferred_zone,
        terms,
        rows,
        ended,
        levels,
    })
}

/// `SET LOCAL plan_cache_mode = <mode>` (a constant: `force_generic_plan` or `default`) for
/// the statements sent after it in the transaction; it ends with the transaction.
async fn plan_cache_mode(tx: &Tx<'_>, mode: &'static str) -> Result<(), OrderError> {
    tx.batch_execute(&format!("set local plan_cache_mode = {mode}"))
        .await
        .map_err(DbError::from)?;
    Ok(())
}

/// The lines' SKUs, trimmed, once each, sorted.
fn skus_of(lines: &[LineInput]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.sku.trim().to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The preferred zone, when one is named: `Some(id)` of the active zone with that code, or
/// `Some(None)` when there is none (a malformed code names no zone either).
async fn preferred_zone(
    tx: &Tx<'_>,
    code: Option<&str>,
) -> Result<Option<Option<Uuid>>, OrderError> {
    let Some(code) = code else {
        return Ok(None);
    };
    Ok(Some(match ZoneCode::parse(code) {
        Ok(code) => inventory::service::active_zone(tx, code.as_str()).await?,
        Err(_) => None,
    }))
}

/// The brand's caps on one checkout: per SKU, at most `max_units_per_sku` units over all the
/// lines naming it (a 422 naming the line that goes over), and fewer than
/// `max_open_orders_per_customer` unpaid orders still holding stock for the email, and for
/// the phone when one is given (a 409). [`read`] counted them under the customer's locks,
/// held until the transaction ends, so concurrent checkouts of one customer count one another.
fn check_caps(
    input: &CheckoutInput,
    settings: &repo::BrandSettings,
    open: &repo::OpenOrders,
) -> Result<(), OrderError> {
    let errors = over_unit_cap(input, settings.max_units_per_sku);
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    let cap = i64::from(settings.max_open_orders_per_customer);
    let what = if open.by_email >= cap {
        "this email"
    } else if open.by_phone >= cap {
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

/// Checks that every line's SKU is one of this brand's (another brand's SKU is simply
/// unknown here) and for sale, and that a named preferred zone is an active one: a 422 names
/// every line and field that is not. Returns the preferred zone's id.
fn check_resolved(
    lines: &[LineInput],
    variants: &HashMap<String, repo::SellableVariant>,
    preferred_zone: Option<Option<Uuid>>,
) -> Result<Option<Uuid>, OrderError> {
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
    if preferred_zone == Some(None) {
        errors.push(FieldError::new("preferred_zone", "no such active zone"));
    }
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    Ok(preferred_zone.flatten())
}

/// Allocates the lines on the locked `rows` (whose expired holds were freed); a shortage is a
/// 409 listing each short SKU.
fn allocate(
    input: &CheckoutInput,
    line_variants: &[&repo::SellableVariant],
    rows: &mut [engine::LockedRow],
    preferred_zone: Option<Uuid>,
) -> Result<Vec<engine::Allocation>, OrderError> {
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
    engine::allocate(&demands, rows, preferred_zone).map_err(|short| {
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
    })
}

/// The order-level facts [`place`] stores.
struct Placed<'a> {
    tenant: Uuid,
    key: &'a str,
    request_hash: &'a [u8],
    currency: &'a str,
    preferred_zone: Option<Uuid>,
    charges: &'a Charges,
    shipping_address: Option<&'a Address>,
    billing_address: Option<&'a Address>,
    /// When the holds run out: the transaction's now() plus the brand's hold minutes.
    expires_at: DateTime<Utc>,
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

/// The variants of `before` whose available units the checkout's stock changes move: the
/// units of the ended holds in active zones come back, the allocated ones go (allocations
/// draw on active zones only). Exactly what `threshold_levels.sql` would read after them,
/// without reading it.
fn levels_after(
    before: &[engine::Level],
    rows: &[engine::LockedRow],
    released: &[engine::Delta],
    allocations: &[engine::Allocation],
) -> Vec<engine::Level> {
    let zone_active = |variant: Uuid, zone: Uuid| {
        rows.iter()
            .any(|r| r.variant_id == variant && r.zone_id == zone && r.zone_active)
    };
    before
        .iter()
        .map(|b| {
            let freed: i64 = released
                .iter()
                .filter(|d| d.variant_id == b.variant_id && zone_active(d.variant_id, d.zone_id))
                .map(|d| -i64::from(d.reserved))
                .sum();
            let taken: i64 = allocations
                .iter()
                .filter(|a| a.variant_id == b.variant_id)
                .map(|a| i64::from(a.quantity))
                .sum();
            engine::Level {
                available: b.available + freed - taken,
                ..b.clone()
            }
        })
        .collect()
}

/// The order-level facts [`place`] stores.
fn new_order<'a>(input: &'a CheckoutInput, placed: &'a Placed<'a>) -> repo::NewOrder<'a> {
    let c = &input.customer;
    let charged = placed.charges;
    repo::NewOrder {
        currency: placed.currency,
        total_minor: charged.totals.total_minor,
        preferred_zone_id: placed.preferred_zone,
        idempotency_key: placed.key,
        request_hash: placed.request_hash,
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
    }
}

/// Writes the order in one round trip: [`repo::place_order`] (customer, number, order, lines,
/// holds, stock changes with their ledger rows, expiry job), then, in the same round trip, the
/// promotions' uses (more round trips only when promotions apply), `stock.low` for a variant
/// that fell below its threshold, and the `order.created` event, which reads the order's
/// number from the counter `place_order` just moved, with the COMMIT queued behind it. From
/// the counter to COMMIT the brand's order and event counters stay locked for what the server
/// does, not for a round trip. `Ok` means committed. Returns the order as a read would show it.
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one checkout, each once"
)]
async fn place(
    tx: &Tx<'_>,
    input: &CheckoutInput,
    line_variants: &[&repo::SellableVariant],
    rows: &[engine::LockedRow],
    allocations: &[engine::Allocation],
    released: Vec<engine::Delta>,
    levels: &[engine::Level],
    placed: &Placed<'_>,
) -> Result<Order, OrderError> {
    let c = &input.customer;
    let email = normalise_email(&c.email);
    let charged = placed.charges;
    let order_id = Uuid::new_v4();
    let lines = new_lines(input, line_variants, charged);
    let line_ids: Vec<Uuid> = lines.iter().map(|_| Uuid::new_v4()).collect();
    let holds: Vec<(Uuid, repo::NewHold)> = allocations
        .iter()
        .map(|a| {
            let hold = repo::NewHold {
                line_id: line_ids[a.line],
                variant_id: a.variant_id,
                zone_id: a.zone_id,
                quantity: a.quantity,
            };
            (Uuid::new_v4(), hold)
        })
        .collect();
    let after = levels_after(levels, rows, &released, allocations);
    let mut deltas = released;
    deltas.extend(holds.iter().map(|(id, h)| engine::Delta {
        variant_id: h.variant_id,
        zone_id: h.zone_id,
        kind: MovementKind::Reserve,
        on_hand: 0,
        reserved: h.quantity,
        reason: None,
        order_id: Some(order_id),
        hold_id: Some(*id),
    }));
    let total = charged.totals.total_minor;
    let order = new_order(input, placed);
    let placement = repo::Placement {
        order: &order,
        order_id,
        customer_email: &email,
        customer_language: c.preferred_language.as_deref(),
        holds_expire_at: placed.expires_at,
        line_ids: &line_ids,
        lines: &lines,
        holds: &holds,
        deltas: &deltas,
        expiry_job_kind: jobs::JobKind::ExpireOrder.as_str(),
    };
    // Who ordered is customer personal data: kept apart, for roles with customers.read only.
    let payload = serde_json::json!({
        "order_id": order_id,
        "status": OrderStatus::PendingPayment,
        "total_minor": total,
        "discount_minor": charged.totals.discount_minor,
        "currency": placed.currency,
        "holds_expire_at": placed.expires_at,
    });
    let pii = serde_json::json!({
        "name": c.name.trim(),
        "email": email,
        "phone": c.phone,
    });
    // Prepared first (from the connection's statement cache; a round trip on its first
    // checkout only), so that the order is the first statement on the wire: the promotions'
    // uses update it, the event reads its number, and the COMMIT goes last.
    let place_order = repo::place_order_statement(tx).await?;
    let ((number, created_at), ()) = futures::try_join!(
        repo::place_order(tx, &place_order, &placement).err_into::<OrderError>(),
        async {
            promotions::record_order(
                tx,
                placed.tenant,
                order_id,
                &line_ids,
                &email,
                &charged.discounts,
            )
            .await?;
            if !levels.is_empty() {
                engine::record_low_stock(tx, levels, &after).await?;
            }
            // Last, with the COMMIT behind it in the same round trip: the brand's order and
            // event counters are released as soon as the server has written the event.
            events::record_for_numbered_order_and_commit(
                tx,
                events::EventType::OrderCreated,
                payload,
                Some(pii),
            )
            .await?;
            Ok::<_, OrderError>(())
        },
    )?;
    Ok(placed_order(
        order_id, number, created_at, input, &email, &lines, &line_ids, &holds, rows, placed,
    ))
}

/// The order just placed, as [`load_order`] would read it back (the customer's view): the
/// answer of the checkout, built from what [`place`] wrote.
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one checkout, each once"
)]
fn placed_order(
    id: Uuid,
    number: i32,
    created_at: DateTime<Utc>,
    input: &CheckoutInput,
    email: &str,
    lines: &[repo::NewLine],
    line_ids: &[Uuid],
    holds: &[(Uuid, repo::NewHold)],
    rows: &[engine::LockedRow],
    placed: &Placed<'_>,
) -> Order {
    let charged = placed.charges;
    let d = &charged.discounts;
    // As record_order stores them: nothing at all without an applied promotion.
    let applied = !d.applied.is_empty();
    let c = &input.customer;
    Order {
        id,
        number,
        status: OrderStatus::PendingPayment,
        currency: placed.currency.to_owned(),
        subtotal_minor: charged.totals.subtotal_minor,
        shipping_minor: charged.totals.shipping_minor,
        discount_minor: if applied {
            d.line_discounts.iter().sum::<i64>() + d.shipping_discount_minor
        } else {
            0
        },
        promotions: if applied {
            d.applied.clone()
        } else {
            Vec::new()
        },
        tax_minor: charged.totals.tax_minor,
        total_minor: charged.totals.total_minor,
        prices_include_tax: Nullable(Some(charged.prices_include_tax)),
        shipping_method: charged
            .method
            .as_ref()
            .map(|(code, name)| super::ShippingMethodRef {
                code: code.clone(),
                name: name.clone(),
            })
            .into(),
        shipping_address: placed
            .shipping_address
            .cloned()
            .map(super::OrderAddress::from)
            .into(),
        billing_address: placed
            .billing_address
            .cloned()
            .map(super::OrderAddress::from)
            .into(),
        holds_expire_at: placed.expires_at,
        conflict_reason: Nullable(None),
        customer: Some(super::Customer {
            name: c.name.trim().to_owned(),
            email: Some(email.to_owned()).into(),
            phone: c.phone.clone().into(),
        })
        .into(),
        lines: placed_lines(lines, line_ids, holds, rows, d),
        shipments: Vec::new(),
        created_at,
        paid_at: Nullable(None),
        shipped_at: Nullable(None),
        cancelled_at: Nullable(None),
        expired_at: Nullable(None),
        refunded_minor: 0,
        movements: Nullable(None),
    }
}

/// The lines of [`placed_order`], with their allocations and discounts as a read shows them.
fn placed_lines(
    lines: &[repo::NewLine],
    line_ids: &[Uuid],
    holds: &[(Uuid, repo::NewHold)],
    rows: &[engine::LockedRow],
    d: &crate::promotions::service::BasketDiscounts,
) -> Vec<super::Line> {
    // As record_order stores them: no line discount without an applied promotion.
    let applied = !d.applied.is_empty();
    let zone_code = |zone: Uuid| {
        rows.iter()
            .find(|r| r.zone_id == zone)
            .map(|r| r.zone_code.clone())
            .unwrap_or_default()
    };
    lines
        .iter()
        .zip(line_ids)
        .enumerate()
        .map(|(i, (l, line_id))| {
            // Holds read back in zone code order (one creation time).
            let mut allocations: Vec<super::Allocation> = holds
                .iter()
                .filter(|(_, h)| h.line_id == *line_id)
                .map(|(_, h)| super::Allocation {
                    zone: zone_code(h.zone_id),
                    quantity: h.quantity,
                    status: HoldStatus::Active,
                })
                .collect();
            allocations.sort_by(|a, b| a.zone.cmp(&b.zone));
            super::Line {
                sku: l.sku.clone(),
                quantity: l.quantity,
                unit_price_minor: l.unit_price_minor,
                discount_minor: if applied {
                    d.line_discounts
                        .get(i)
                        .copied()
                        .filter(|d| *d > 0)
                        .unwrap_or(0)
                } else {
                    0
                },
                line_total_minor: l.line_total_minor,
                tax_class: Some(l.tax_class).into(),
                tax_rate_bp: l.tax_rate_bp,
                tax_minor: l.tax_minor,
                shipped_quantity: 0,
                allocations,
            }
        })
        .collect()
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
            let skus = skus_of(&input.lines);
            let (settings, variants, terms) = futures::try_join!(
                repo::brand_settings(tx).err_into::<OrderError>(),
                repo::variants_for_checkout(tx, &skus).err_into::<OrderError>(),
                charges::terms(
                    tx,
                    scope.tenant_id(),
                    country.as_deref(),
                    &input.promo_codes
                ),
            )?;
            let variants: HashMap<String, repo::SellableVariant> =
                variants.into_iter().map(|v| (v.sku.clone(), v)).collect();
            check_resolved(&input.lines, &variants, None)?;
            let line_variants: Vec<&repo::SellableVariant> = input
                .lines
                .iter()
                .filter_map(|l| variants.get(l.sku.trim()))
                .collect();
            let basket = charges::Basket {
                lines: &input.lines,
                shipping_method: input.shipping_method.as_deref(),
                ship_to: country.as_deref(),
                promo_codes: &input.promo_codes,
                email: email.as_deref(),
            };
            let charged =
                charges::charge(tx, scope, &basket, &settings, &line_variants, terms).await?;
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
