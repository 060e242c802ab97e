//! The money of a checkout, as pure functions: a shipping method's price from its bands, each
//! line's tax, and the order's totals. No I/O, so the rules are read and tested here alone
//! (a property test covers them over random lines, rates and modes).
//!
//! # The rounding rule
//! Tax is computed **per line, rounded half up** to the currency's minor unit (amounts are never
//! negative, so half up is also half away from zero), and the order's tax is the sum of its
//! lines' tax plus the shipping's. Per line, because the order shows each line's rate and tax
//! (and an invoice prints them): the lines must add up to the order's figure exactly, which a
//! tax computed once on the total does not guarantee. Half up, because it is the rule customers
//! and most tax authorities (EU VAT guidance, HMRC) expect on a line: an exact half cent is
//! rounded up. Half-even's advantage (no upward drift over many roundings) matters for
//! aggregates nobody is shown one by one, not for the few lines of one order.
//!
//! - Prices **exclusive** of tax: `tax = round(amount x rate)`, the line costs `amount + tax`,
//!   and `total = subtotal + shipping + tax`.
//! - Prices **inclusive** of tax: `tax = round(amount x rate / (1 + rate))` is the part of the
//!   amount that is tax, the line costs `amount`, and `total = subtotal + shipping`.
//!
//! `amount` is unit price x quantity; rates are basis points (2000 = 20 %). Shipping is one
//! more line, taxed at the standard rate of the tax country.
//!
//! # Discounts
//! A promotion's discount ([`crate::promotions`] computes and allocates it to the lines) is
//! taken off a line **before** its tax: the line is taxed on `amount - discount`, and a
//! shipping discount (free shipping) likewise lowers the taxed shipping. So, with
//! `discount` = the lines' discounts plus the shipping's:
//! exclusive `total = subtotal - discount + shipping + tax`, inclusive `total = subtotal -
//! discount + shipping`. A discount is clamped to `0..=amount`: no line, no shipping and no
//! total is ever negative.

use serde::{Deserialize, Serialize};

/// Basis points in a whole (100 %).
pub const BP: i64 = 10_000;

/// Whether catalog (and shipping) prices include tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxMode {
    /// Tax is added on top of the prices.
    Exclusive,
    /// Prices include tax; the tax is the part of them that is tax.
    Inclusive,
}

impl TaxMode {
    /// The mode of a brand's `prices_include_tax` setting.
    pub fn from_includes(prices_include_tax: bool) -> Self {
        if prices_include_tax {
            TaxMode::Inclusive
        } else {
            TaxMode::Exclusive
        }
    }
}

/// `n / d` rounded half up, for `n >= 0` and `d > 0`.
fn div_half_up(n: i128, d: i128) -> i128 {
    (2 * n + d) / (2 * d)
}

/// The tax in `amount_minor` (>= 0) at `rate_bp` (0 to 10,000), rounded half up.
pub fn tax_of(amount_minor: i64, rate_bp: i32, mode: TaxMode) -> i64 {
    let (amount, rate) = (i128::from(amount_minor), i128::from(rate_bp));
    let tax = match mode {
        TaxMode::Exclusive => div_half_up(amount * rate, i128::from(BP)),
        TaxMode::Inclusive => div_half_up(amount * rate, i128::from(BP) + rate),
    };
    // Never above the amount (inclusive) or above the amount again (exclusive, rate <= 100 %):
    // it fits an i64 whenever the amount does.
    i64::try_from(tax).unwrap_or(i64::MAX)
}

/// One line to price: its unit price, quantity and tax rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineIn {
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub rate_bp: i32,
}

/// One priced line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineOut {
    /// Unit price x quantity, as the brand prices it.
    pub amount_minor: i64,
    /// The line's discount (0 to `amount_minor`); the tax is computed on what is left.
    pub discount_minor: i64,
    pub tax_minor: i64,
    /// What the line costs the customer, tax included.
    pub total_minor: i64,
}

/// An order's figures. `total_minor` is the amount to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub lines: Vec<LineOut>,
    /// The lines' amounts, as the brand prices them (with tax when prices include it).
    pub subtotal_minor: i64,
    /// The shipping price, as the brand prices it (before a shipping discount).
    pub shipping_minor: i64,
    /// The shipping's discount (0 to `shipping_minor`; part of `discount_minor`).
    pub shipping_discount_minor: i64,
    /// Every line's discount plus the shipping's.
    pub discount_minor: i64,
    /// The shipping's tax (part of `tax_minor`).
    pub shipping_tax_minor: i64,
    /// Every line's tax plus the shipping's.
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// The figures do not fit in 64 bits (absurd prices or quantities): a 422 for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// Prices an order: each line's tax (half up, per line), the shipping's tax at
/// `shipping_rate_bp`, and the totals. Amounts and rates must not be negative, rates at most
/// 10,000 (the callers' types and the database's checks hold that).
pub fn totals(
    lines: &[LineIn],
    shipping_minor: i64,
    shipping_rate_bp: i32,
    mode: TaxMode,
) -> Result<Totals, TooLarge> {
    totals_discounted(lines, &[], shipping_minor, 0, shipping_rate_bp, mode)
}

/// [`totals`] with discounts: `line_discounts[i]` off line `i` (missing: 0) and
/// `shipping_discount_minor` off the shipping, each clamped to what it discounts, each taken
/// off before the tax (the module doc).
pub fn totals_discounted(
    lines: &[LineIn],
    line_discounts: &[i64],
    shipping_minor: i64,
    shipping_discount_minor: i64,
    shipping_rate_bp: i32,
    mode: TaxMode,
) -> Result<Totals, TooLarge> {
    let mut out = Vec::with_capacity(lines.len());
    let (mut subtotal, mut tax, mut discount) = (0i64, 0i64, 0i64);
    for (i, l) in lines.iter().enumerate() {
        let amount = l
            .unit_price_minor
            .checked_mul(i64::from(l.quantity))
            .ok_or(TooLarge)?;
        let line_discount = line_discounts.get(i).copied().unwrap_or(0).clamp(0, amount);
        let taxed = amount - line_discount;
        let line_tax = tax_of(taxed, l.rate_bp, mode);
        let total = match mode {
            TaxMode::Exclusive => taxed.checked_add(line_tax).ok_or(TooLarge)?,
            TaxMode::Inclusive => taxed,
        };
        subtotal = subtotal.checked_add(amount).ok_or(TooLarge)?;
        tax = tax.checked_add(line_tax).ok_or(TooLarge)?;
        discount = discount.checked_add(line_discount).ok_or(TooLarge)?;
        out.push(LineOut {
            amount_minor: amount,
            discount_minor: line_discount,
            tax_minor: line_tax,
            total_minor: total,
        });
    }
    let shipping_discount = shipping_discount_minor.clamp(0, shipping_minor);
    let shipping_tax = tax_of(shipping_minor - shipping_discount, shipping_rate_bp, mode);
    tax = tax.checked_add(shipping_tax).ok_or(TooLarge)?;
    discount = discount.checked_add(shipping_discount).ok_or(TooLarge)?;
    // subtotal >= discount: each discount is clamped to what it discounts.
    let before_tax = (subtotal - discount)
        .checked_add(shipping_minor)
        .ok_or(TooLarge)?;
    let total = match mode {
        TaxMode::Exclusive => before_tax.checked_add(tax).ok_or(TooLarge)?,
        TaxMode::Inclusive => before_tax,
    };
    Ok(Totals {
        lines: out,
        subtotal_minor: subtotal,
        shipping_minor,
        shipping_discount_minor: shipping_discount,
        discount_minor: discount,
        shipping_tax_minor: shipping_tax,
        tax_minor: tax,
        total_minor: total,
    })
}

/// One price band of a shipping method: orders whose subtotal (or weight) is at least `min`
/// and below `max` (no `max`: no upper bound) pay `price_minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub min: i64,
    pub max: Option<i64>,
    pub price_minor: i64,
}

/// The most bands one method has.
pub const MAX_BANDS: usize = 50;

/// Why a method's bands cannot be stored.
pub fn check_bands(bands: &[Band]) -> Result<(), &'static str> {
    if bands.is_empty() || bands.len() > MAX_BANDS {
        return Err("1 to 50 bands");
    }
    for b in bands {
        if b.min < 0 || b.price_minor < 0 {
            return Err("min and price_minor must not be negative");
        }
        if b.max.is_some_and(|max| max <= b.min) {
            return Err("each band's max must be above its min");
        }
    }
    let mut sorted = bands.to_vec();
    sorted.sort_by_key(|b| b.min);
    for pair in sorted.windows(2) {
        if pair[0].max.is_none_or(|max| max > pair[1].min) {
            return Err("bands must not overlap");
        }
    }
    Ok(())
}

/// What a method charges for an order whose band value (subtotal or weight) is `value` and
/// whose subtotal is `subtotal_minor`; `None` when no band takes the order (the method is not
/// eligible). From `free_over_minor` on, an eligible order ships for 0.
pub fn band_price(
    bands: &[Band],
    free_over_minor: Option<i64>,
    value: i64,
    subtotal_minor: i64,
) -> Option<i64> {
    let band = bands
        .iter()
        .find(|b| b.min <= value && b.max.is_none_or(|max| value < max))?;
    if free_over_minor.is_some_and(|free| subtotal_minor >= free) {
        Some(0)
    } else {
        Some(band.price_minor)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn exclusive_tax_is_added_and_rounded_half_up_per_line() {
        // 0.05 of 19 % of 2.50 = 0.475 -> 0.48; 19 % of 9.99 = 1.8981 -> 1.90.
        let t = totals(
            &[
                LineIn {
                    unit_price_minor: 250,
                    quantity: 1,
                    rate_bp: 1900,
                },
                LineIn {
                    unit_price_minor: 999,
                    quantity: 1,
                    rate_bp: 1900,
                },
            ],
            490,
            1900,
            TaxMode::Exclusive,
        )
        .unwrap();
        assert_eq!(t.lines[0].tax_minor, 48);
        assert_eq!(t.lines[1].tax_minor, 190);
        assert_eq!(t.shipping_tax_minor, 93); // 93.1
        assert_eq!(t.subtotal_minor, 1249);
        assert_eq!(t.tax_minor, 48 + 190 + 93);
        assert_eq!(t.total_minor, 1249 + 490 + 331);
    }

    #[test]
    fn inclusive_tax_is_the_part_of_the_price_that_is_tax() {
        // 11.90 at 19 % includes 1.90; 10.00 at 21 % includes 1.7355 -> 1.74.
        assert_eq!(tax_of(1190, 1900, TaxMode::Inclusive), 190);
        assert_eq!(tax_of(1000, 2100, TaxMode::Inclusive), 174);
        let t = totals(
            &[LineIn {
                unit_price_minor: 1190,
                quantity: 2,
                rate_bp: 1900,
            }],
            0,
            1900,
            TaxMode::Inclusive,
        )
        .unwrap();
        assert_eq!(
            (t.subtotal_minor, t.tax_minor, t.total_minor),
            (2380, 380, 2380)
        );
        assert_eq!(t.lines[0].total_minor, 2380);
    }

    #[test]
    fn an_exact_half_rounds_up() {
        assert_eq!(tax_of(5, 1000, TaxMode::Exclusive), 1); // 0.5
        assert_eq!(tax_of(15, 1000, TaxMode::Exclusive), 2); // 1.5
        assert_eq!(tax_of(25, 1000, TaxMode::Exclusive), 3); // 2.5 (half-even would say 2)
        assert_eq!(tax_of(4, 1000, TaxMode::Exclusive), 0); // 0.4
    }

    #[test]
    fn absurd_figures_are_too_large_not_a_panic() {
        let line = LineIn {
            unit_price_minor: i64::MAX / 2,
            quantity: 3,
            rate_bp: 0,
        };
        assert_eq!(totals(&[line], 0, 0, TaxMode::Exclusive), Err(TooLarge));
    }

    #[test]
    fn bands_price_by_value_and_free_shipping_by_subtotal() {
        let bands = [
            Band {
                min: 0,
                max: Some(1000),
                price_minor: 590,
            },
            Band {
                min: 1000,
                max: Some(5000),
                price_minor: 990,
            },
        ];
        assert_eq!(check_bands(&bands), Ok(()));
        assert_eq!(band_price(&bands, Some(6000), 999, 100), Some(590));
        assert_eq!(band_price(&bands, Some(6000), 1000, 100), Some(990));
        assert_eq!(band_price(&bands, Some(6000), 4999, 6000), Some(0));
        assert_eq!(band_price(&bands, Some(0), 5000, 100), None);
    }

    #[test]
    fn overlapping_or_empty_bands_are_refused() {
        let band = |min, max| Band {
            min,
            max,
            price_minor: 1,
        };
        assert!(check_bands(&[]).is_err());
        assert!(check_bands(&[band(0, None), band(10, Some(20))]).is_err());
        assert!(check_bands(&[band(0, Some(10)), band(5, None)]).is_err());
        assert!(check_bands(&[band(10, Some(10))]).is_err());
        assert!(check_bands(&[band(10, None), band(0, Some(10))]).is_ok());
    }

    fn line() -> impl Strategy<Value = LineIn> {
        (0i64..=10_000_000, 1i32..=1000, 0i32..=10_000).prop_map(|(p, q, r)| LineIn {
            unit_price_minor: p,
            quantity: q,
            rate_bp: r,
        })
    }

    fn mode() -> impl Strategy<Value = TaxMode> {
        prop_oneof![Just(TaxMode::Exclusive), Just(TaxMode::Inclusive)]
    }

    proptest! {
        #[test]
        fn totals_are_consistent_and_each_tax_within_rounding(
            lines in prop::collection::vec(line(), 1..100),
            shipping in 0i64..=1_000_000,
            shipping_rate in 0i32..=10_000,
            mode in mode(),
        ) {
            let t = totals(&lines, shipping, shipping_rate, mode).unwrap();
            prop_assert_eq!(t.lines.len(), lines.len());
            let sum = |f: fn(&LineOut) -> i64| t.lines.iter().map(f).sum::<i64>();
            prop_assert_eq!(t.subtotal_minor, sum(|l| l.amount_minor));
            prop_assert_eq!(t.tax_minor, sum(|l| l.tax_minor) + t.shipping_tax_minor);
            match mode {
                TaxMode::Exclusive => {
                    prop_assert_eq!(t.total_minor, t.subtotal_minor + t.shipping_minor + t.tax_minor);
                    prop_assert_eq!(sum(|l| l.total_minor), t.subtotal_minor + sum(|l| l.tax_minor));
                }
                TaxMode::Inclusive => {
                    prop_assert_eq!(t.total_minor, t.subtotal_minor + t.shipping_minor);
                    prop_assert_eq!(sum(|l| l.total_minor), t.subtotal_minor);
                    prop_assert!(t.tax_minor <= t.total_minor);
                }
            }
            let taxed = lines
                .iter()
                .zip(&t.lines)
                .map(|(i, o)| (o.amount_minor, i.rate_bp, o.tax_minor))
                .chain([(shipping, shipping_rate, t.shipping_tax_minor)]);
            for (amount, rate, tax) in taxed {
                prop_assert!(amount >= 0 && tax >= 0);
                // The exact tax is n / d minor units; the rounded one is within half a
                // unit of it: |2 * tax * d - 2 * n| <= d.
                let (n, d) = match mode {
                    TaxMode::Exclusive => (i128::from(amount) * i128::from(rate), i128::from(BP)),
                    TaxMode::Inclusive => (
                        i128::from(amount) * i128::from(rate),
                        i128::from(BP) + i128::from(rate),
                    ),
                };
                prop_assert!((2 * i128::from(tax) * d - 2 * n).abs() <= d);
            }
        }
    }
}
