//! What the promotion endpoints, checkout, quotes, payment, expiry and cancellation call:
//! managing a brand's promotions (audited), a basket's discounts (read in the caller's
//! transaction), and the life cycle of a use (module doc of [`super`]).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use super::repo::{Fields, PromotionRow};
use super::{
    AppliedPromotion, PromotionError, PromotionKind, PromotionTarget,
    engine::{self, Buyer, Conditions, Give, Offer, Refusal},
    repo,
};
use crate::{
    audit,
    db::{Db, DbError, Tx},
    error::{ConstraintTable, DomainError, FieldError, FieldErrors, Violation},
    scope::TenantScope,
    types::{DisplayName, Email, Nullable},
};

const NOT_FOUND: &str = "no such promotion in this brand";

/// The most codes one basket names.
pub const MAX_CODES: usize = 5;
/// The most targets and emails one promotion lists.
pub const MAX_TARGETS: usize = 500;
pub const MAX_EMAILS: usize = 1000;
/// The largest figure a promotion takes (minor units): 1,000,000,000.00.
pub const MAX_MINOR: i64 = 100_000_000_000;

/// The constraints whose violation is the client's doing.
const CONSTRAINTS: &ConstraintTable = &[
    (
        "promotions_code_key",
        Violation::Conflict("this brand already has a promotion with this code (in any case)"),
    ),
    (
        "promotion_uses_promotion_fkey",
        Violation::Conflict(
            "orders have used this promotion: deactivate it instead (`active: false`)",
        ),
    ),
];

fn from_db(e: DbError) -> PromotionError {
    DomainError::from_db(e, CONSTRAINTS).into()
}

/// A promo code as a customer or staff types it: 1 to 40 letters, digits, `_` and `-`,
/// starting with a letter or digit. Compared case-insensitively.
pub fn parse_code(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    let ok = (1..=40).contains(&s.len())
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("1 to 40 letters, digits, `_` and `-`, starting with a letter or digit")
    }
}

/// A new promotion, or a change to one, as sent: `None` keeps a field (or takes its default
/// on creation); `Some(None)` clears a nullable one.
#[derive(Debug, Default, Clone)]
pub struct PromotionInput {
    pub name: Option<String>,
    pub code: Option<Option<String>>,
    pub kind: Option<PromotionKind>,
    pub percent_bp: Option<Option<i32>>,
    pub amount_minor: Option<Option<i64>>,
    pub buy_quantity: Option<Option<i32>>,
    pub get_quantity: Option<Option<i32>>,
    pub target: Option<PromotionTarget>,
    pub targets: Option<Vec<String>>,
    pub min_subtotal_minor: Option<i64>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub first_order_only: Option<bool>,
    pub customer_emails: Option<Vec<String>>,
    pub usage_limit: Option<Option<i32>>,
    pub usage_limit_per_customer: Option<Option<i32>>,
    pub exclusive: Option<bool>,
    pub active: Option<bool>,
}

/// `base` with `input` merged in (a change of kind drops the old kind's figures unless sent).
fn merge(base: &Fields, input: &PromotionInput) -> Fields {
    let mut f = base.clone();
    if let Some(kind) = input.kind
        && kind != f.kind
    {
        f.kind = kind;
        (f.percent_bp, f.amount_minor, f.buy_quantity, f.get_quantity) = (None, None, None, None);
    }
    if let Some(v) = &input.name {
        f.name = v.clone();
    }
    if let Some(v) = &input.code {
        f.code = v.clone();
    }
    macro_rules! set {
        ($($field:ident),*) => {$(
            if let Some(v) = &input.$field {
                f.$field = Clone::clone(v);
            }
        )*};
    }
    set!(
        percent_bp,
        amount_minor,
        buy_quantity,
        get_quantity,
        targets,
        min_subtotal_minor,
        starts_at,
        ends_at,
        first_order_only,
        customer_emails,
        usage_limit,
        usage_limit_per_customer,
        exclusive,
        active
    );
    if let Some(t) = input.target {
        f.target = t;
        if t == PromotionTarget::All && input.targets.is_none() {
            f.targets.clear();
        }
    }
    f
}

/// The fields that belong to the promotion's kind: present and in range for it, absent for
/// the others.
fn check_kind(f: &Fields, errors: &mut Vec<FieldError>) {
    let only = |field: &str, kind: &str| FieldError::new(field, format!("only for kind {kind}"));
    let need = |field: &str, what: &str| FieldError::new(field, format!("required: {what}"));
    match (f.kind, f.percent_bp) {
        (PromotionKind::Percentage, Some(bp)) if !(1..=10_000).contains(&bp) => errors.push(
            FieldError::new("percent_bp", "1 to 10000 basis points (1000 = 10 %)"),
        ),
        (PromotionKind::Percentage, None) => {
            errors.push(need("percent_bp", "1 to 10000 basis points"))
        }
        (PromotionKind::Percentage, Some(_)) | (_, None) => {}
        (_, Some(_)) => errors.push(only("percent_bp", "percentage")),
    }
    match (f.kind, f.amount_minor) {
        (PromotionKind::FixedAmount, Some(a)) if !(1..=MAX_MINOR).contains(&a) => errors.push(
            FieldError::new("amount_minor", format!("1 to {MAX_MINOR} minor units")),
        ),
        (PromotionKind::FixedAmount, None) => {
            errors.push(need("amount_minor", "minor units of the brand's currency"))
        }
        (PromotionKind::FixedAmount, Some(_)) | (_, None) => {}
        (_, Some(_)) => errors.push(only("amount_minor", "fixed_amount")),
    }
    for (field, value) in [
        ("buy_quantity", f.buy_quantity),
        ("get_quantity", f.get_quantity),
    ] {
        match (f.kind, value) {
            (PromotionKind::BuyXGetY, Some(q)) if !(1..=1000).contains(&q) => {
                errors.push(FieldError::new(field, "1 to 1000 units"))
            }
            (PromotionKind::BuyXGetY, None) => errors.push(need(field, "1 to 1000 units")),
            (PromotionKind::BuyXGetY, Some(_)) | (_, None) => {}
            (_, Some(_)) => errors.push(only(field, "buy_x_get_y")),
        }
    }
}

/// Checks a whole promotion and normalises it (trimmed name and code, lowercased emails,
/// sorted unique targets); one 422 names every bad field.
fn check(mut f: Fields) -> Result<Fields, PromotionError> {
    let mut errors = Vec::new();
    if let Some(name) = errors.check("name", DisplayName::parse(&f.name)) {
        f.name = name.into_string();
    }
    if let Some(code) = &f.code {
        match parse_code(code) {
            Ok(c) => f.code = Some(c),
            Err(why) => errors.push(FieldError::new("code", why)),
        }
    }
    check_kind(&f, &mut errors);
    match f.target {
        PromotionTarget::All if !f.targets.is_empty() => errors.push(FieldError::new(
            "targets",
            "must be empty when target is all",
        )),
        PromotionTarget::All => {}
        _ if f.targets.is_empty() || f.targets.len() > MAX_TARGETS => errors.push(FieldError::new(
            "targets",
            format!("1 to {MAX_TARGETS} entries"),
        )),
        _ => {}
    }
    let mut targets = BTreeSet::new();
    for (i, t) in f.targets.iter().enumerate() {
        let t = t.trim();
        if (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_graphic()) {
            targets.insert(t.to_owned());
        } else {
            errors.push(FieldError::new(
                format!("targets[{i}]"),
                "a category code, product number or SKU: 1 to 64 visible ASCII characters",
            ));
        }
    }
    f.targets = targets.into_iter().collect();
    if !(0..=MAX_MINOR).contains(&f.min_subtotal_minor) {
        errors.push(FieldError::new(
            "min_subtotal_minor",
            format!("0 to {MAX_MINOR} minor units"),
        ));
    }
    if let (Some(s), Some(e)) = (f.starts_at, f.ends_at)
        && s >= e
    {
        errors.push(FieldError::new("ends_at", "must be after starts_at"));
    }
    if f.customer_emails.len() > MAX_EMAILS {
        errors.push(FieldError::new(
            "customer_emails",
            format!("at most {MAX_EMAILS} emails"),
        ));
    }
    let mut emails = BTreeSet::new();
    for (i, e) in f.customer_emails.iter().enumerate() {
        if errors
            .check(format!("customer_emails[{i}]"), Email::parse(e))
            .is_some()
        {
            emails.insert(Email::normalise(e));
        }
    }
    f.customer_emails = emails.into_iter().collect();
    for (field, limit) in [
        ("usage_limit", f.usage_limit),
        ("usage_limit_per_customer", f.usage_limit_per_customer),
    ] {
        if limit.is_some_and(|l| l < 1) {
            errors.push(FieldError::new(field, "at least 1 (null: no limit)"));
        }
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(PromotionError::Invalid(errors))
    }
}

/// What the audit trail says of a promotion (no customer emails: only how many).
fn audit_details(f: &Fields) -> serde_json::Value {
    serde_json::json!({
        "name": f.name,
        "code": f.code,
        "kind": f.kind,
        "target": f.target,
        "exclusive": f.exclusive,
        "active": f.active,
        "usage_limit": f.usage_limit,
        "customer_emails": f.customer_emails.len(),
    })
}

/// Creates a promotion; `name` and `kind` are required (with the kind's figure).
pub async fn create(
    db: &Db,
    scope: &TenantScope,
    input: &PromotionInput,
) -> Result<PromotionRow, PromotionError> {
    let mut missing = Vec::new();
    if input.name.is_none() {
        missing.push(FieldError::new("name", "required"));
    }
    let Some(kind) = input.kind else {
        missing.push(FieldError::new("kind", "required"));
        return Err(PromotionError::Invalid(missing));
    };
    let base = Fields {
        name: String::new(),
        code: None,
        kind,
        percent_bp: None,
        amount_minor: None,
        buy_quantity: None,
        get_quantity: None,
        target: PromotionTarget::All,
        targets: Vec::new(),
        min_subtotal_minor: 0,
        starts_at: None,
        ends_at: None,
        first_order_only: false,
        customer_emails: Vec::new(),
        usage_limit: None,
        usage_limit_per_customer: None,
        exclusive: false,
        active: true,
    };
    let fields = match check(merge(&base, input)) {
        Ok(f) if missing.is_empty() => f,
        Ok(_) => return Err(PromotionError::Invalid(missing)),
        Err(PromotionError::Invalid(mut errors)) => {
            missing.append(&mut errors);
            return Err(PromotionError::Invalid(missing));
        }
        Err(e) => return Err(e),
    };
    db.tenant_tx(scope, async |tx| {
        let row = repo::insert(tx, &fields).await.map_err(from_db)?;
        audit::record(
            tx,
            "promotion.create",
            &row.id.to_string(),
            audit_details(&fields),
        )
        .await?;
        Ok(row)
    })
    .await
}

/// The brand's promotions, newest first.
pub async fn list(db: &Db, scope: &TenantScope) -> Result<Vec<PromotionRow>, PromotionError> {
    let tenant = scope.tenant_id();
    Ok(db
        .tenant_read(scope, || async |tx| repo::list(tx, tenant).await)
        .await?)
}

/// One promotion (404 for another brand's).
pub async fn get(db: &Db, scope: &TenantScope, id: Uuid) -> Result<PromotionRow, PromotionError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| repo::get(tx, tenant, id).await)
        .await?
        .ok_or(PromotionError::NotFound(NOT_FOUND))
}

/// Changes a promotion: the change is merged into the stored one (locked) and the whole is
/// checked. Placed orders keep their snapshot.
pub async fn update(
    db: &Db,
    scope: &TenantScope,
    id: Uuid,
    input: &PromotionInput,
) -> Result<PromotionRow, PromotionError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        let current = repo::get(tx, tenant, id)
            .await?
            .ok_or(PromotionError::NotFound(NOT_FOUND))?;
        let fields = check(merge(&current.fields, input))?;
        let row = repo::update(tx, tenant, id, &fields)
            .await
            .map_err(from_db)?
            .ok_or(PromotionError::NotFound(NOT_FOUND))?;
        audit::record(
            tx,
            "promotion.update",
            &id.to_string(),
            audit_details(&fields),
        )
        .await?;
        Ok(row)
    })
    .await
}

/// Deletes a promotion no order has used (409 otherwise: deactivate it).
pub async fn delete(db: &Db, scope: &TenantScope, id: Uuid) -> Result<(), PromotionError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        if !repo::delete(tx, tenant, id).await.map_err(from_db)? {
            return Err(PromotionError::NotFound(NOT_FOUND));
        }
        audit::record(
            tx,
            "promotion.delete",
            &id.to_string(),
            serde_json::json!({}),
        )
        .await?;
        Ok(())
    })
    .await
}

/// One line of a basket to discount.
#[derive(Debug, Clone)]
pub struct BasketItem {
    pub sku: String,
    pub unit_price_minor: i64,
    pub quantity: i32,
}

/// A basket to discount: its lines, its shipping price, the codes it names (as sent; the
/// field of the i-th is `promo_codes[i]`) and the customer's email (normalised), if known.
#[derive(Debug, Clone)]
pub struct Basket<'a> {
    pub lines: &'a [BasketItem],
    pub shipping_minor: i64,
    pub codes: &'a [String],
    pub email: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// A basket's discounts: per line (in the basket's order), on the shipping, and what each
/// applied promotion took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BasketDiscounts {
    pub line_discounts: Vec<i64>,
    pub shipping_discount_minor: i64,
    pub applied: Vec<AppliedPromotion>,
}

/// Checks the codes as sent: each well formed, at most [`MAX_CODES`]; one 422 for the bad
/// ones. Returns them lowercased, in order, without repeats (a repeat is the same code).
pub fn check_codes(codes: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if codes.len() > MAX_CODES {
        errors.push(FieldError::new(
            "promo_codes",
            format!("at most {MAX_CODES} codes"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        match parse_code(c) {
            Ok(c) => {
                let c = c.to_ascii_lowercase();
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            Err(why) => errors.push(FieldError::new(format!("promo_codes[{i}]"), why)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn offer_of(row: &PromotionRow) -> Offer {
    let f = &row.fields;
    let give = match f.kind {
        PromotionKind::Percentage => Give::Percentage(f.percent_bp.unwrap_or(0)),
        PromotionKind::FixedAmount => Give::FixedAmount(f.amount_minor.unwrap_or(0)),
        PromotionKind::FreeShipping => Give::FreeShipping,
        PromotionKind::BuyXGetY => Give::BuyXGetY {
            buy: f.buy_quantity.unwrap_or(1),
            get: f.get_quantity.unwrap_or(1),
        },
    };
    Offer {
        id: row.id,
        give,
        target: f.target,
        targets: f.targets.clone(),
        exclusive: f.exclusive,
    }
}

fn conditions_of(row: &PromotionRow) -> Conditions {
    let f = &row.fields;
    Conditions {
        active: f.active,
        starts_at: f.starts_at,
        ends_at: f.ends_at,
        min_subtotal_minor: f.min_subtotal_minor,
        first_order_only: f.first_order_only,
        customer_emails: f.customer_emails.clone(),
        usage_limit: f.usage_limit,
        usage_limit_per_customer: f.usage_limit_per_customer,
        uses_count: row.uses_count,
    }
}

/// The buyer as the basket's promotions need them: whether this is the email's first order
/// (only when a promotion asks) and its uses of each promotion limited per customer.
async fn buyer_of(
    tx: &Tx<'_>,
    tenant: Uuid,
    basket: &Basket<'_>,
    rows: &[repo::PromotionRow],
) -> Result<(Buyer, HashMap<Uuid, i64>), PromotionError> {
    let mut buyer = Buyer {
        email: basket.email.map(str::to_owned),
        ..Default::default()
    };
    let mut uses: HashMap<Uuid, i64> = HashMap::new();
    if let Some(email) = basket.email {
        if rows.iter().any(|r| r.fields.first_order_only) {
            buyer.first_order = Some(repo::first_order(tx, tenant, email).await?);
        }
        let limited: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.fields.usage_limit_per_customer.is_some())
            .map(|r| r.id)
            .collect();
        if !limited.is_empty() {
            uses = repo::customer_uses(tx, tenant, email, &limited)
                .await?
                .into_iter()
                .collect();
        }
    }
    Ok((buyer, uses))
}

/// The basket's lines with the product and category each SKU belongs to (for targeting).
async fn engine_lines(
    tx: &Tx<'_>,
    tenant: Uuid,
    basket: &Basket<'_>,
) -> Result<Vec<engine::BasketLine>, PromotionError> {
    let skus: Vec<String> = basket
        .lines
        .iter()
        .map(|l| l.sku.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let targets: HashMap<String, (String, String)> = repo::line_targets(tx, tenant, &skus)
        .await?
        .into_iter()
        .map(|(sku, product, category)| (sku, (product, category)))
        .collect();
    Ok(basket
        .lines
        .iter()
        .map(|l| {
            let (product, category) = targets.get(&l.sku).cloned().unwrap_or_default();
            engine::BasketLine {
                sku: l.sku.clone(),
                product,
                category,
                unit_price_minor: l.unit_price_minor,
                quantity: l.quantity,
            }
        })
        .collect())
}

/// The discounts of `basket` in the caller's transaction (checkout's or a quote's): the
/// brand's automatic promotions that fit it, and the promotions of the codes it names. A code
/// the brand does not have is a 422 `unknown-promo-code`; a named code whose conditions do not
/// hold a 422 `promo-code-not-applicable`, one without uses left a 409
/// `promo-code-exhausted`; an automatic promotion that does not fit is simply not applied.
/// Stacking: [`engine`]'s module doc.
pub async fn discounts(
    tx: &Tx<'_>,
    tenant: Uuid,
    basket: &Basket<'_>,
) -> Result<BasketDiscounts, PromotionError> {
    let rows = basket_promotions(tx, tenant, basket.codes).await?;
    discounts_of(tx, tenant, basket, rows).await
}

/// The promotions a basket with `codes` (as sent) may use: the brand's active automatic ones
/// and those of the codes. The first half of [`discounts`], for a caller that reads it in the
/// same round trip as other statements.
pub(crate) async fn basket_promotions(
    tx: &Tx<'_>,
    tenant: Uuid,
    codes: &[String],
) -> Result<Vec<repo::PromotionRow>, PromotionError> {
    let codes = check_codes(codes).map_err(PromotionError::Invalid)?;
    Ok(repo::basket_promotions(tx, tenant, &codes).await?)
}

/// [`discounts`] with the basket's promotions already read ([`basket_promotions`]).
pub(crate) async fn discounts_of(
    tx: &Tx<'_>,
    tenant: Uuid,
    basket: &Basket<'_>,
    rows: Vec<repo::PromotionRow>,
) -> Result<BasketDiscounts, PromotionError> {
    let codes = check_codes(basket.codes).map_err(PromotionError::Invalid)?;
    // The field of each named code: the first `promo_codes[i]` that names it.
    let field_of = |code: &str| {
        basket
            .codes
            .iter()
            .position(|c| c.trim().eq_ignore_ascii_case(code))
            .map_or_else(|| "promo_codes".to_owned(), |i| format!("promo_codes[{i}]"))
    };
    for code in &codes {
        let known = rows.iter().any(|r| {
            r.fields
                .code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(code))
        });
        if !known {
            return Err(PromotionError::UnknownCode(field_of(code)));
        }
    }
    if rows.is_empty() {
        return Ok(BasketDiscounts {
            line_discounts: vec![0; basket.lines.len()],
            ..Default::default()
        });
    }
    let (mut buyer, uses) = buyer_of(tx, tenant, basket, &rows).await?;
    let subtotal: i64 = basket
        .lines
        .iter()
        .map(|l| l.unit_price_minor.saturating_mul(i64::from(l.quantity)))
        .fold(0i64, i64::saturating_add);
    let mut eligible = Vec::new();
    for row in &rows {
        buyer.uses = uses.get(&row.id).copied().unwrap_or(0);
        match (
            engine::refusal(&conditions_of(row), basket.now, subtotal, &buyer),
            &row.fields.code,
        ) {
            (None, _) => eligible.push(row),
            (Some(_), None) => {}
            (Some(Refusal::NotApplicable(why)), Some(code)) => {
                return Err(PromotionError::NotApplicable(field_of(code), why));
            }
            (Some(Refusal::Exhausted(why)), Some(code)) => {
                return Err(PromotionError::Exhausted(field_of(code), why));
            }
        }
    }
    let lines = engine_lines(tx, tenant, basket).await?;
    let offers: Vec<Offer> = eligible.iter().map(|r| offer_of(r)).collect();
    let result = engine::apply(&offers, &lines, basket.shipping_minor);
    let applied = result
        .applied
        .iter()
        .map(|a| {
            let row = eligible[a.offer];
            AppliedPromotion {
                id: row.id,
                code: Nullable(row.fields.code.clone()),
                name: row.fields.name.clone(),
                kind: row.fields.kind,
                amount_minor: a.amount_minor(),
            }
        })
        .collect();
    Ok(BasketDiscounts {
        line_discounts: result.line_discounts,
        shipping_discount_minor: result.shipping_discount_minor,
        applied,
    })
}

/// Records a placed order's discounts in the checkout's transaction: one held use per applied
/// promotion (taken with the conditional update, in promotion id order so concurrent checkouts
/// lock alike; none left is a 409 `promo-code-exhausted` and the checkout rolls back), the
/// order's discount and snapshot, and each line's share. `line_ids` in the basket's order.
pub async fn record_order(
    tx: &Tx<'_>,
    tenant: Uuid,
    order_id: Uuid,
    line_ids: &[Uuid],
    email: &str,
    d: &BasketDiscounts,
) -> Result<(), PromotionError> {
    if d.applied.is_empty() {
        return Ok(());
    }
    let mut applied: Vec<&AppliedPromotion> = d.applied.iter().collect();
    applied.sort_by_key(|a| a.id);
    for a in applied {
        if !repo::take_use(tx, a.id).await? {
            let field = if a.code.is_null() {
                "promotions"
            } else {
                "promo_codes"
            };
            return Err(PromotionError::Exhausted(
                field.to_owned(),
                format!("{}: no uses left", a.name),
            ));
        }
        repo::insert_use(tx, a.id, order_id, email, a.amount_minor).await?;
    }
    let total = d.line_discounts.iter().sum::<i64>() + d.shipping_discount_minor;
    let snapshot = serde_json::to_value(&d.applied).unwrap_or_else(|_| serde_json::json!([]));
    repo::set_order_discount(tx, tenant, order_id, total, &snapshot).await?;
    let (ids, amounts): (Vec<Uuid>, Vec<i64>) = line_ids
        .iter()
        .zip(&d.line_discounts)
        .filter(|(_, d)| **d > 0)
        .map(|(id, d)| (*id, *d))
        .unzip();
    if !ids.is_empty() {
        repo::set_line_discounts(tx, tenant, order_id, &ids, &amounts).await?;
    }
    Ok(())
}

/// The order's holds ended without a sale: its held uses are released (no longer counted).
pub async fn release_uses(tx: &Tx<'_>, order_id: Uuid) -> Result<(), DbError> {
    repo::release_uses(tx, order_id).await
}

/// The order's holds became a sale: its held uses are consumed.
pub async fn consume_uses(tx: &Tx<'_>, order_id: Uuid) -> Result<(), DbError> {
    repo::consume_uses(tx, order_id).await
}

/// A payment after the holds expired: the order's released uses are taken again (each by the
/// conditional update), then all its uses are consumed. When one has no use left, the ones
/// just taken are given back, the held ones released, and the reason returned (the order then
/// goes to `payment_conflict`).
pub async fn retake_uses(tx: &Tx<'_>, order_id: Uuid) -> Result<Result<(), String>, DbError> {
    let released = repo::released_uses(tx, order_id).await?;
    for (i, promotion) in released.iter().enumerate() {
        if !repo::take_use(tx, *promotion).await? {
            for taken in &released[..i] {
                repo::give_back_use(tx, *taken).await?;
            }
            repo::release_uses(tx, order_id).await?;
            return Ok(Err(
                "paid after the holds expired, and a promotion it used has no uses left".into(),
            ));
        }
    }
    repo::consume_uses(tx, order_id).await?;
    Ok(Ok(()))
}

/// An order's discount as stored: the total, the promotions applied, and each line's share.
#[derive(Debug, Clone, Default)]
pub struct OrderDiscounts {
    pub discount_minor: i64,
    pub promotions: Vec<AppliedPromotion>,
    pub lines: HashMap<Uuid, i64>,
}

/// The discounts stored with an order (none for orders placed before promotions existed).
pub async fn order_discounts(
    tx: &Tx<'_>,
    tenant: Uuid,
    order_id: Uuid,
) -> Result<OrderDiscounts, DbError> {
    let Some(d) = repo::order_discounts(tx, tenant, order_id).await? else {
        return Ok(OrderDiscounts::default());
    };
    Ok(OrderDiscounts {
        discount_minor: d.discount_minor,
        // Written only by record_order; a document that is not one reads as none.
        promotions: serde_json::from_value(d.promotions).unwrap_or_default(),
        lines: d.lines.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_lowercased_and_deduplicated() {
        let codes = vec!["WELCOME10".into(), " welcome10 ".into(), "Spring_2".into()];
        assert_eq!(check_codes(&codes).unwrap(), ["welcome10", "spring_2"]);
        let bad = vec!["".into(), "-x".into(), "a\0".into(), "x".repeat(41)];
        let fields: Vec<String> = check_codes(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "promo_codes[0]",
                "promo_codes[1]",
                "promo_codes[2]",
                "promo_codes[3]"
            ]
        );
    }

    #[test]
    fn a_kind_needs_its_figure_and_refuses_others() {
        let base = Fields {
            name: "Spring".into(),
            code: Some("SPRING".into()),
            kind: PromotionKind::Percentage,
            percent_bp: None,
            amount_minor: Some(100),
            buy_quantity: None,
            get_quantity: None,
            target: PromotionTarget::All,
            targets: vec!["X".into()],
            min_subtotal_minor: -1,
            starts_at: None,
            ends_at: None,
            first_order_only: false,
            customer_emails: vec!["nope".into()],
            usage_limit: Some(0),
            usage_limit_per_customer: None,
            exclusive: false,
            active: true,
        };
        let Err(PromotionError::Invalid(errors)) = check(base) else {
            panic!("accepted")
        };
        let fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "percent_bp",
                "amount_minor",
                "targets",
                "min_subtotal_minor",
                "customer_emails[0]",
                "usage_limit"
            ]
        );
    }
}
