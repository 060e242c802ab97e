//! What the delivery endpoints and checkout call: managing a brand's shipping methods and tax
//! rates (audited), the storefront's quotes, and the terms checkout prices an order with.

use std::collections::BTreeSet;

use uuid::Uuid;

pub use super::repo::{MethodRow, RateRow};
use super::{
    RateBasis, TaxClass,
    pricing::{self, Band},
    repo::{self, MethodFields},
};
use crate::{
    audit,
    db::{Db, DbError, Tx},
    error::{ConstraintTable, DomainError, FieldError, FieldErrors, Violation},
    scope::TenantScope,
    types::{CountryCode, DisplayName, Slug},
};

/// The delivery domain's errors: the shared ones.
pub type DeliveryError = DomainError;

/// The most countries one method ships to (every assigned code fits).
pub const MAX_COUNTRIES: usize = 250;

const METHOD_NOT_FOUND: &str = "no such shipping method in this brand";
const RATE_NOT_FOUND: &str = "no such tax rate in this brand";

/// The constraints whose violation is the client's doing.
const CONSTRAINTS: &ConstraintTable = &[(
    "shipping_methods_code_key",
    Violation::Conflict("this brand already has a shipping method with this code"),
)];

/// A new method, or a change to one (`None` keeps a field; `free_over_minor: Some(None)`
/// removes the threshold). As sent: checked here.
#[derive(Debug, Default, Clone)]
pub struct MethodInput {
    pub name: Option<String>,
    pub countries: Option<Vec<String>>,
    pub rate_basis: Option<RateBasis>,
    pub bands: Option<Vec<Band>>,
    pub free_over_minor: Option<Option<i64>>,
    pub active: Option<bool>,
}

/// A method's fields, checked.
struct Checked {
    name: Option<String>,
    countries: Option<Vec<String>>,
    bands: Option<serde_json::Value>,
}

/// Checks what is given; one 422 names every bad field.
fn check(input: &MethodInput) -> Result<Checked, DeliveryError> {
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .and_then(|n| errors.check("name", DisplayName::parse(n)))
        .map(DisplayName::into_string);
    let countries = input.countries.as_ref().map(|list| {
        let mut set = BTreeSet::new();
        for (i, c) in list.iter().enumerate() {
            if let Some(c) = errors.check(format!("countries[{i}]"), CountryCode::parse(c)) {
                set.insert(c.into_string());
            }
        }
        set.into_iter().collect::<Vec<_>>()
    });
    if let Some(list) = &input.countries
        && (list.is_empty() || list.len() > MAX_COUNTRIES)
    {
        errors.push(FieldError::new(
            "countries",
            format!("1 to {MAX_COUNTRIES} country codes"),
        ));
    }
    let bands = match &input.bands {
        Some(bands) => match pricing::check_bands(bands) {
            Ok(()) => serde_json::to_value(bands).ok(),
            Err(why) => {
                errors.push(FieldError::new("bands", why));
                None
            }
        },
        None => None,
    };
    if let Some(Some(free)) = input.free_over_minor
        && free < 0
    {
        errors.push(FieldError::new("free_over_minor", "must not be negative"));
    }
    if !errors.is_empty() {
        return Err(DeliveryError::Invalid(errors));
    }
    Ok(Checked {
        name,
        countries,
        bands,
    })
}

fn fields<'a>(input: &MethodInput, checked: &'a Checked) -> MethodFields<'a> {
    MethodFields {
        name: checked.name.as_deref(),
        countries: checked.countries.as_deref(),
        rate_basis: input.rate_basis,
        bands: checked.bands.clone(),
        free_over_minor: input.free_over_minor,
        active: input.active,
    }
}

/// What the audit trail says of a method's fields (no personal data in them).
fn audit_details(code: &str, input: &MethodInput) -> serde_json::Value {
    serde_json::json!({
        "code": code,
        "name": input.name,
        "countries": input.countries,
        "rate_basis": input.rate_basis.map(RateBasis::as_str),
        "bands": input.bands,
        "free_over_minor": input.free_over_minor,
        "active": input.active,
    })
}

/// Creates a method; every field but `free_over_minor` and `active` is required.
pub async fn create_method(
    db: &Db,
    scope: &TenantScope,
    code: &str,
    input: &MethodInput,
) -> Result<MethodRow, DeliveryError> {
    let mut missing = Vec::new();
    let code = missing.check("code", Slug::parse(code));
    for (field, given) in [
        ("name", input.name.is_some()),
        ("countries", input.countries.is_some()),
        ("rate_basis", input.rate_basis.is_some()),
        ("bands", input.bands.is_some()),
    ] {
        if !given {
            missing.push(FieldError::new(field, "required"));
        }
    }
    let checked = check(input);
    if let Err(DeliveryError::Invalid(errors)) = &checked {
        missing.extend(errors.iter().cloned());
    }
    let (Some(code), Ok(checked), true) = (code, checked, missing.is_empty()) else {
        return Err(DeliveryError::Invalid(missing));
    };
    db.tenant_tx(scope, async |tx| {
        let row = repo::insert_method(tx, code.as_str(), &fields(input, &checked))
            .await
            .map_err(|e| DeliveryError::from_db(e, CONSTRAINTS))?;
        audit::record(
            tx,
            "shipping_method.create",
            code.as_str(),
            audit_details(code.as_str(), input),
        )
        .await?;
        Ok(row)
    })
    .await
}

/// The brand's methods, active or not.
pub async fn list_methods(db: &Db, scope: &TenantScope) -> Result<Vec<MethodRow>, DeliveryError> {
    let tenant = scope.tenant_id();
    Ok(db
        .tenant_tx(scope, async |tx| repo::list_methods(tx, tenant).await)
        .await?)
}

/// One method by code.
pub async fn get_method(
    db: &Db,
    scope: &TenantScope,
    code: &str,
) -> Result<MethodRow, DeliveryError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| repo::get_method(tx, tenant, code).await)
        .await?
        .ok_or(DeliveryError::NotFound(METHOD_NOT_FOUND))
}

/// Changes a method (its code stays).
pub async fn update_method(
    db: &Db,
    scope: &TenantScope,
    code: &str,
    input: &MethodInput,
) -> Result<MethodRow, DeliveryError> {
    let checked = check(input)?;
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        let row = repo::update_method(tx, tenant, code, &fields(input, &checked))
            .await?
            .ok_or(DeliveryError::NotFound(METHOD_NOT_FOUND))?;
        audit::record(
            tx,
            "shipping_method.update",
            code,
            audit_details(code, input),
        )
        .await?;
        Ok(row)
    })
    .await
}

/// Deletes a method (placed orders keep their snapshot of it).
pub async fn delete_method(db: &Db, scope: &TenantScope, code: &str) -> Result<(), DeliveryError> {
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        if !repo::delete_method(tx, tenant, code).await? {
            return Err(DeliveryError::NotFound(METHOD_NOT_FOUND));
        }
        audit::record(tx, "shipping_method.delete", code, serde_json::json!({})).await?;
        Ok(())
    })
    .await
}

/// The brand's tax rates.
pub async fn list_rates(db: &Db, scope: &TenantScope) -> Result<Vec<RateRow>, DeliveryError> {
    let tenant = scope.tenant_id();
    Ok(db
        .tenant_tx(scope, async |tx| repo::list_rates(tx, tenant).await)
        .await?)
}

/// A country and class as sent in a path: both checked, one 422 naming the bad ones.
fn rate_key(country: &str, class: &str) -> Result<(CountryCode, TaxClass), DeliveryError> {
    let mut errors = Vec::new();
    let country = errors.check("country", CountryCode::parse(country));
    let class = errors.check("tax_class", TaxClass::parse(class));
    match (country, class) {
        (Some(c), Some(t)) => Ok((c, t)),
        _ => Err(DeliveryError::Invalid(errors)),
    }
}

/// Sets the brand's rate for (country, class) to `rate_bp` (0 to 10,000).
pub async fn set_rate(
    db: &Db,
    scope: &TenantScope,
    country: &str,
    class: &str,
    rate_bp: i32,
) -> Result<RateRow, DeliveryError> {
    let (country, class) = rate_key(country, class)?;
    if !(0..=10_000).contains(&rate_bp) {
        return Err(DeliveryError::invalid_field(
            "rate_bp",
            "0 to 10000 basis points (2000 = 20 %)",
        ));
    }
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        let row = repo::upsert_rate(tx, tenant, country.as_str(), class, rate_bp)
            .await?
            .ok_or(DeliveryError::NotFound(RATE_NOT_FOUND))?;
        audit::record(
            tx,
            "tax_rate.set",
            &format!("{country}/{class}"),
            serde_json::json!({"rate_bp": rate_bp}),
        )
        .await?;
        Ok(row)
    })
    .await
}

/// Removes the brand's rate for (country, class).
pub async fn delete_rate(
    db: &Db,
    scope: &TenantScope,
    country: &str,
    class: &str,
) -> Result<(), DeliveryError> {
    let (country, class) = rate_key(country, class)?;
    let tenant = scope.tenant_id();
    db.tenant_tx(scope, async |tx| {
        if !repo::delete_rate(tx, tenant, country.as_str(), class).await? {
            return Err(DeliveryError::NotFound(RATE_NOT_FOUND));
        }
        audit::record(
            tx,
            "tax_rate.delete",
            &format!("{country}/{class}"),
            serde_json::json!({}),
        )
        .await?;
        Ok(())
    })
    .await
}

/// An eligible method and what it costs an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub code: String,
    pub name: String,
    /// As the brand prices (with tax when its prices include tax).
    pub price_minor: i64,
    pub free_over_minor: Option<i64>,
}

/// What `method` charges an order to `country` with this subtotal and weight; `None` when the
/// method is inactive, does not ship there, or no band takes the order.
pub fn quote(
    method: &MethodRow,
    country: &str,
    subtotal_minor: i64,
    weight_grams: i64,
) -> Option<Quote> {
    if !method.active || !method.countries.iter().any(|c| c == country) {
        return None;
    }
    let value = match method.rate_basis {
        RateBasis::Subtotal => subtotal_minor,
        RateBasis::Weight => weight_grams,
    };
    let price = pricing::band_price(&method.bands, method.free_over_minor, value, subtotal_minor)?;
    Some(Quote {
        code: method.code.clone(),
        name: method.name.clone(),
        price_minor: price,
        free_over_minor: method.free_over_minor,
    })
}

/// The storefront's list: the brand's active methods that take an order to `country` with
/// this subtotal (and weight, 0 when not given), with their prices, cheapest first.
pub async fn quotes(
    db: &Db,
    scope: &TenantScope,
    country: &str,
    subtotal_minor: i64,
    weight_grams: Option<i64>,
) -> Result<Vec<Quote>, DeliveryError> {
    let mut errors = Vec::new();
    let country = errors.check("country", CountryCode::parse(country));
    if subtotal_minor < 0 {
        errors.push(FieldError::new("subtotal_minor", "must not be negative"));
    }
    if weight_grams.is_some_and(|w| w < 0) {
        errors.push(FieldError::new("weight_grams", "must not be negative"));
    }
    let Some(country) = country.filter(|_| errors.is_empty()) else {
        return Err(DeliveryError::Invalid(errors));
    };
    let tenant = scope.tenant_id();
    let methods = db
        .tenant_read(scope, || async |tx| repo::active_methods(tx, tenant).await)
        .await?;
    let mut out: Vec<Quote> = methods
        .iter()
        .filter_map(|m| {
            quote(
                m,
                country.as_str(),
                subtotal_minor,
                weight_grams.unwrap_or(0),
            )
        })
        .collect();
    out.sort_by(|a, b| (a.price_minor, &a.code).cmp(&(b.price_minor, &b.code)));
    Ok(out)
}

/// What checkout prices an order with, read in its own transaction.
#[derive(Debug, Clone, Default)]
pub struct CheckoutTerms {
    /// The brand's active methods (none: shipping is free and optional, as before methods).
    pub methods: Vec<MethodRow>,
    /// The tax country's rates by class (none known: 0).
    pub rates: Vec<(TaxClass, i32)>,
}

impl CheckoutTerms {
    /// The rate of `class` in the tax country (0 without one).
    pub fn rate(&self, class: TaxClass) -> i32 {
        self.rates
            .iter()
            .find(|(c, _)| *c == class)
            .map_or(0, |(_, r)| *r)
    }
}

/// The brand's active methods and the rates of the tax country: `ship_to` (the shipping
/// address's country), else the brand's `tax_origin_country` (neither: no rates), read in the
/// checkout's transaction, both statements in one round trip.
pub async fn checkout_terms(
    tx: &Tx<'_>,
    tenant: Uuid,
    ship_to: Option<&str>,
) -> Result<CheckoutTerms, DbError> {
    let (methods, rates) = futures::try_join!(
        repo::active_methods(tx, tenant),
        repo::checkout_rates(tx, tenant, ship_to)
    )?;
    Ok(CheckoutTerms { methods, rates })
}
