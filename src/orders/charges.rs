//! What a checkout charges: its lines' tax, its shipping method's price and the order's totals,
//! computed on the server from the brand's catalog prices, shipping methods and tax rates (a
//! client never sends a price). The maths is [`crate::delivery::pricing`]; this module reads
//! the terms in the checkout's transaction and applies the brand's rules:
//!
//! - a brand with at least one active shipping method requires a shipping address and an
//!   eligible `shipping_method` (422 `ineligible-shipping-method` otherwise); a brand with none
//!   charges no shipping and takes no method, as before shipping methods existed;
//! - the tax country is the shipping address's country, else the brand's
//!   `tax_origin_country`, else there is no tax; each line is taxed at its product's class's
//!   rate there (no rate: 0), the shipping at the standard rate;
//! - the brand's promotions ([`crate::promotions`]) take their discounts off the lines and the
//!   shipping before the tax. A checkout and a quote price through this same function.

use futures::TryFutureExt as _;
use uuid::Uuid;

use super::{OrderError, checkout::LineInput, repo};
use crate::{
    db::Tx,
    delivery::{
        RateBasis, TaxClass,
        pricing::{self, LineIn, TaxMode, Totals},
        service::{self as delivery, CheckoutTerms},
    },
    error::FieldError,
    promotions::service::{self as promotions, BasketDiscounts, BasketItem, PromotionRow},
    scope::TenantScope,
};

/// What a checkout or a quote prices.
pub(super) struct Basket<'a> {
    pub lines: &'a [LineInput],
    /// A shipping method's code, as sent.
    pub shipping_method: Option<&'a str>,
    /// The shipping address's country (checked).
    pub ship_to: Option<&'a str>,
    /// The promo codes, as sent.
    pub promo_codes: &'a [String],
    /// The customer's email, normalised (a quote may not give one).
    pub email: Option<&'a str>,
}

/// A checkout's charges, ready to store.
pub(super) struct Charges {
    pub totals: Totals,
    /// Per line (in request order): the tax class and the rate applied.
    pub taxes: Vec<(TaxClass, i32)>,
    /// The method's code and name (`None` for a brand without methods).
    pub method: Option<(String, String)>,
    pub prices_include_tax: bool,
    /// The promotions' discounts (per line, shipping, per promotion).
    pub discounts: BasketDiscounts,
}

fn too_large() -> OrderError {
    OrderError::Invalid(vec![FieldError::new("lines", "the total is too large")])
}

/// What a basket is priced with, read before pricing: the brand's shipping methods and the
/// tax country's rates, and the promotions the basket may use.
pub(super) struct Terms {
    pub delivery: CheckoutTerms,
    pub promotions: Vec<PromotionRow>,
}

/// Reads the [`Terms`] of a basket shipped to `ship_to` with `codes`, in one round trip (the
/// tax country is `ship_to`, else the brand's `tax_origin_country`).
pub(super) async fn terms(
    tx: &Tx<'_>,
    tenant: Uuid,
    ship_to: Option<&str>,
    codes: &[String],
) -> Result<Terms, OrderError> {
    let (delivery, promotions) = futures::try_join!(
        delivery::checkout_terms(tx, tenant, ship_to).err_into::<OrderError>(),
        promotions::basket_promotions(tx, tenant, codes).err_into::<OrderError>(),
    )?;
    Ok(Terms {
        delivery,
        promotions,
    })
}

/// Prices the basket's lines, discounts and shipping with its `terms` ([`terms`]; the
/// promotions may read more in the caller's transaction).
pub(super) async fn charge(
    tx: &Tx<'_>,
    scope: &TenantScope,
    input: &Basket<'_>,
    settings: &repo::BrandSettings,
    line_variants: &[&repo::SellableVariant],
    terms: Terms,
) -> Result<Charges, OrderError> {
    let Terms {
        delivery: terms,
        promotions: promotion_rows,
    } = terms;
    let mut lines = Vec::with_capacity(line_variants.len());
    let mut taxes = Vec::with_capacity(line_variants.len());
    let (mut subtotal, mut weight) = (0i64, 0i64);
    for (l, v) in input.lines.iter().zip(line_variants) {
        let rate = terms.rate(v.tax_class);
        lines.push(LineIn {
            unit_price_minor: v.price_minor,
            quantity: l.quantity,
            rate_bp: rate,
        });
        taxes.push((v.tax_class, rate));
        subtotal = v
            .price_minor
            .checked_mul(i64::from(l.quantity))
            .and_then(|a| subtotal.checked_add(a))
            .ok_or_else(too_large)?;
        weight += i64::from(v.weight_grams.unwrap_or(0)) * i64::from(l.quantity);
    }
    let (shipping, method) = shipping_charge(&terms, input, subtotal, weight)?;
    let items: Vec<BasketItem> = input
        .lines
        .iter()
        .zip(line_variants)
        .map(|(l, v)| BasketItem {
            sku: v.sku.clone(),
            unit_price_minor: v.price_minor,
            quantity: l.quantity,
        })
        .collect();
    let discounts = promotions::discounts_of(
        tx,
        scope.tenant_id(),
        &promotions::Basket {
            lines: &items,
            shipping_minor: shipping,
            codes: input.promo_codes,
            email: input.email,
            now: chrono::Utc::now(),
        },
        promotion_rows,
    )
    .await?;
    let mode = TaxMode::from_includes(settings.prices_include_tax);
    let totals = pricing::totals_discounted(
        &lines,
        &discounts.line_discounts,
        shipping,
        discounts.shipping_discount_minor,
        terms.rate(TaxClass::Standard),
        mode,
    )
    .map_err(|_| too_large())?;
    Ok(Charges {
        totals,
        taxes,
        method,
        prices_include_tax: settings.prices_include_tax,
        discounts,
    })
}

/// The shipping price and the method's code and name; the brand's rules in the module doc.
fn shipping_charge(
    terms: &CheckoutTerms,
    input: &Basket<'_>,
    subtotal: i64,
    weight: i64,
) -> Result<(i64, Option<(String, String)>), OrderError> {
    let code = input.shipping_method.map(str::trim);
    let address = input.ship_to;
    if terms.methods.is_empty() {
        return match code {
            None => Ok((0, None)),
            Some(_) => Err(OrderError::IneligibleShippingMethod(
                "this brand has no shipping methods: leave shipping_method out".into(),
            )),
        };
    }
    let mut errors = Vec::new();
    let required = "required: this brand ships its orders with a shipping method";
    if address.is_none() {
        errors.push(FieldError::new("shipping_address", required));
    }
    if code.is_none() {
        errors.push(FieldError::new("shipping_method", required));
    }
    let (Some(address), Some(code)) = (address, code) else {
        return Err(OrderError::Invalid(errors));
    };
    let Some(method) = terms.methods.iter().find(|m| m.code == code) else {
        return Err(OrderError::IneligibleShippingMethod(format!(
            "no active shipping method {code} in this brand"
        )));
    };
    let country = address;
    match delivery::quote(method, country, subtotal, weight) {
        Some(q) => Ok((
            q.price_minor,
            Some((method.code.clone(), method.name.clone())),
        )),
        None if !method.countries.iter().any(|c| c == country) => Err(
            OrderError::IneligibleShippingMethod(format!("{code} does not ship to {country}")),
        ),
        None => Err(OrderError::IneligibleShippingMethod(format!(
            "{code} has no price band for this order's {}",
            match method.rate_basis {
                RateBasis::Subtotal => "subtotal",
                RateBasis::Weight => "weight",
            }
        ))),
    }
}
