//! The discount maths, as pure functions: which promotions a basket may use, what each one
//! takes off which line, and how they stack. No I/O: the rules are read and tested here alone
//! (a property test prices random baskets under random promotions).
//!
//! # The order of application
//! 1. **Eligibility** ([`refusal`]): active, inside its time window, the basket's subtotal
//!    (before any discount) at least `min_subtotal_minor`, the customer on the email list (if
//!    any) and on a first order (if required), and uses left (total and per customer).
//! 2. **Stacking** ([`apply`]): the combinable promotions are applied one after another, each on
//!    what the previous ones left of each line, in this order: buy-X-get-Y, then percentage,
//!    then fixed amount (item-level, each allocated to its targeted lines), then free shipping
//!    last (the shipping); ties by creation (the list's order). Each exclusive promotion is
//!    priced alone the same way. The basket gets **whichever is larger: the best exclusive
//!    promotion alone, or the sum of the combinable ones** (a tie goes to the combinable
//!    ones). Promotions that take nothing off (nothing of theirs in the basket) are not
//!    applied.
//! 3. **Tax** comes after the discounts ([`crate::delivery::pricing`]): each line is taxed on
//!    its amount minus its discount, the shipping on its price minus the shipping discount.
//!
//! # Each kind
//! - `percentage`: `round_half_up(targeted amount left x percent_bp / 10,000)`.
//! - `fixed_amount`: `min(amount_minor, targeted amount left)`.
//! - `buy_x_get_y`: the targeted units, most expensive first, fall into groups of `buy + get`;
//!   per complete group the `get` cheapest units of the basket's targeted units are free (so
//!   "buy 2 get 1" on five units frees the cheapest one; on six units, the two cheapest).
//! - `free_shipping`: the shipping's price (when at least one targeted line is in the basket).
//!
//! An item-level discount is shared among its targeted lines in proportion to what is left of
//! each, by the largest remainder: the shares are whole minor units that add up to the
//! discount exactly, and no share exceeds what is left of its line.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{PromotionKind, PromotionTarget};

/// Basis points in a whole.
const BP: i64 = 10_000;

/// What a promotion gives, with its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Give {
    /// Basis points (1 to 10,000) off the targeted lines.
    Percentage(i32),
    /// Minor units off the targeted lines.
    FixedAmount(i64),
    /// The shipping's price.
    FreeShipping,
    /// Of every `buy + get` targeted units, the cheapest `get` are free.
    BuyXGetY { buy: i32, get: i32 },
}

impl Give {
    /// Its place in the order of application.
    fn rank(self) -> u8 {
        match self {
            Give::BuyXGetY { .. } => 0,
            Give::Percentage(_) => 1,
            Give::FixedAmount(_) => 2,
            Give::FreeShipping => 3,
        }
    }

    pub fn kind(self) -> PromotionKind {
        match self {
            Give::Percentage(_) => PromotionKind::Percentage,
            Give::FixedAmount(_) => PromotionKind::FixedAmount,
            Give::FreeShipping => PromotionKind::FreeShipping,
            Give::BuyXGetY { .. } => PromotionKind::BuyXGetY,
        }
    }
}

/// A promotion as the maths sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub id: Uuid,
    pub give: Give,
    pub target: PromotionTarget,
    /// Category codes, product numbers or SKUs, by `target` (ignored for `all`).
    pub targets: Vec<String>,
    pub exclusive: bool,
}

/// One basket line as the maths sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketLine {
    pub sku: String,
    /// The product's number, as text.
    pub product: String,
    /// The product's category code.
    pub category: String,
    pub unit_price_minor: i64,
    pub quantity: i32,
}

impl BasketLine {
    fn amount(&self) -> i64 {
        self.unit_price_minor
            .saturating_mul(i64::from(self.quantity))
    }
}

impl Offer {
    /// Whether the offer targets `line`.
    pub fn targets_line(&self, line: &BasketLine) -> bool {
        let value = match self.target {
            PromotionTarget::All => return true,
            PromotionTarget::Categories => &line.category,
            PromotionTarget::Products => &line.product,
            PromotionTarget::Skus => &line.sku,
        };
        self.targets.iter().any(|t| t.eq_ignore_ascii_case(value))
    }
}

/// What one applied offer took off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The offer's index in the list given to [`apply`].
    pub offer: usize,
    /// Per basket line.
    pub line_discounts: Vec<i64>,
    pub shipping_discount_minor: i64,
}

impl Applied {
    pub fn amount_minor(&self) -> i64 {
        self.line_discounts.iter().sum::<i64>() + self.shipping_discount_minor
    }
}

/// The basket's discounts: per line, on the shipping, and per applied offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discounts {
    pub line_discounts: Vec<i64>,
    pub shipping_discount_minor: i64,
    pub applied: Vec<Applied>,
}

impl Discounts {
    pub fn total_minor(&self) -> i64 {
        self.line_discounts.iter().sum::<i64>() + self.shipping_discount_minor
    }
}

/// `n / d` rounded half up, for `n >= 0` and `d > 0`.
fn div_half_up(n: i128, d: i128) -> i128 {
    (2 * n + d) / (2 * d)
}

/// Shares `total` (0 to the sum of `weights`) among `weights` in proportion, by the largest
/// remainder: whole units adding up to `total`, none above its weight. Ties go to the first.
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 || total <= 0 {
        return vec![0; weights.len()];
    }
    let total = i128::from(total).min(sum);
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let n = total * i128::from((*w).max(0));
        shares.push(n / sum);
        remainders.push((n % sum, i));
    }
    let mut left = total - shares.iter().sum::<i128>();
    // Largest remainder first; equal remainders in line order.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (rem, i) in remainders {
        if left == 0 {
            break;
        }
        if rem > 0 {
            shares[i] += 1;
            left -= 1;
        }
    }
    shares
        .into_iter()
        .map(|s| i64::try_from(s).unwrap_or(0))
        .collect()
}

/// What `offer` takes off a basket of which `left[i]` is still to pay on line `i` and
/// `shipping_left` on the shipping.
fn price_offer(
    offer: &Offer,
    lines: &[BasketLine],
    left: &[i64],
    shipping_left: i64,
) -> (Vec<i64>, i64) {
    let targeted: Vec<bool> = lines.iter().map(|l| offer.targets_line(l)).collect();
    let weights: Vec<i64> = left
        .iter()
        .zip(&targeted)
        .map(|(l, t)| if *t { *l } else { 0 })
        .collect();
    let eligible: i64 = weights.iter().sum();
    match offer.give {
        Give::Percentage(bp) => {
            let bp = i64::from(bp).clamp(0, BP);
            let off = div_half_up(i128::from(eligible) * i128::from(bp), i128::from(BP));
            let off = i64::try_from(off).unwrap_or(eligible).min(eligible);
            (allocate(off, &weights), 0)
        }
        Give::FixedAmount(amount) => (allocate(amount.clamp(0, eligible), &weights), 0),
        Give::FreeShipping => {
            let off = if targeted.iter().any(|t| *t) {
                shipping_left
            } else {
                0
            };
            (vec![0; lines.len()], off)
        }
        Give::BuyXGetY { buy, get } => {
            let group = i64::from(buy.max(1)) + i64::from(get.max(1));
            // (unit price, line) of every targeted unit, most expensive first.
            let mut units: Vec<(i64, usize)> = Vec::new();
            for (i, l) in lines.iter().enumerate().filter(|(i, _)| targeted[*i]) {
                let n = usize::try_from(l.quantity.max(0)).unwrap_or(0);
                units.extend(std::iter::repeat_n((l.unit_price_minor, i), n));
            }
            units.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let groups = i64::try_from(units.len()).unwrap_or(0) / group;
            let free = usize::try_from(groups * i64::from(get.max(1))).unwrap_or(0);
            let mut off = vec![0i64; lines.len()];
            for (price, i) in units.iter().rev().take(free) {
                off[*i] = off[*i].saturating_add(*price);
            }
            for (o, l) in off.iter_mut().zip(left) {
                *o = (*o).min(*l).max(0);
            }
            (off, 0)
        }
    }
}

/// Applies `offers` (in this order among equals) one after another to the basket.
fn apply_in_order(
    offers: &[(usize, &Offer)],
    lines: &[BasketLine],
    shipping_minor: i64,
) -> Discounts {
    let mut sorted: Vec<(usize, &Offer)> = offers.to_vec();
    sorted.sort_by_key(|(i, o)| (o.give.rank(), *i));
    let mut left: Vec<i64> = lines.iter().map(BasketLine::amount).collect();
    let mut shipping_left = shipping_minor.max(0);
    let mut out = Discounts {
        line_discounts: vec![0; lines.len()],
        shipping_discount_minor: 0,
        applied: Vec::new(),
    };
    for (index, offer) in sorted {
        let (off, ship_off) = price_offer(offer, lines, &left, shipping_left);
        let applied = Applied {
            offer: index,
            line_discounts: off,
            shipping_discount_minor: ship_off,
        };
        if applied.amount_minor() == 0 {
            continue;
        }
        for (i, o) in applied.line_discounts.iter().enumerate() {
            left[i] -= o;
            out.line_discounts[i] += o;
        }
        shipping_left -= ship_off;
        out.shipping_discount_minor += ship_off;
        out.applied.push(applied);
    }
    out
}

/// The basket's discounts under `offers` (all eligible): the larger of the combinable ones
/// together and the best exclusive one alone (the module doc).
pub fn apply(offers: &[Offer], lines: &[BasketLine], shipping_minor: i64) -> Discounts {
    let combinable: Vec<(usize, &Offer)> = offers
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.exclusive)
        .collect();
    let mut best = apply_in_order(&combinable, lines, shipping_minor);
    for (i, offer) in offers.iter().enumerate().filter(|(_, o)| o.exclusive) {
        let alone = apply_in_order(&[(i, offer)], lines, shipping_minor);
        if alone.total_minor() > best.total_minor() {
            best = alone;
        }
    }
    best
}

/// The conditions of a promotion, and its uses.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub active: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub min_subtotal_minor: i64,
    pub first_order_only: bool,
    /// Lowercased; empty: anyone.
    pub customer_emails: Vec<String>,
    pub usage_limit: Option<i32>,
    pub usage_limit_per_customer: Option<i32>,
    /// Held plus consumed uses.
    pub uses_count: i32,
}

/// Who is buying, as far as is known (a quote may not name the customer).
#[derive(Debug, Clone, Default)]
pub struct Buyer {
    /// Lowercased.
    pub email: Option<String>,
    /// No earlier order of this email that is paid or still open.
    pub first_order: Option<bool>,
    /// This promotion's uses by this email that still count.
    pub uses: i64,
}

/// Why a promotion cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A condition does not hold (422 `promo-code-not-applicable`).
    NotApplicable(String),
    /// No uses left (409 `promo-code-exhausted`).
    Exhausted(String),
}

/// Why `c` does not apply to a basket with this subtotal (before discounts) bought by `buyer`
/// at `now`; `None` when it applies.
pub fn refusal(
    c: &Conditions,
    now: DateTime<Utc>,
    subtotal_minor: i64,
    buyer: &Buyer,
) -> Option<Refusal> {
    let not = |why: &str| Some(Refusal::NotApplicable(why.to_owned()));
    if !c.active {
        return not("this promotion is not active");
    }
    if c.starts_at.is_some_and(|s| now < s) {
        return not("this promotion has not started yet");
    }
    if c.ends_at.is_some_and(|e| now >= e) {
        return not("this promotion has ended");
    }
    if subtotal_minor < c.min_subtotal_minor {
        return Some(Refusal::NotApplicable(format!(
            "this promotion needs a subtotal of at least {} (minor units)",
            c.min_subtotal_minor
        )));
    }
    if !c.customer_emails.is_empty() {
        match &buyer.email {
            None => return not("this promotion is for some customers only: give the email"),
            Some(e) if !c.customer_emails.iter().any(|x| x == e) => {
                return not("this promotion is not for this customer");
            }
            Some(_) => {}
        }
    }
    if c.first_order_only {
        match buyer.first_order {
            None => return not("this promotion is for a first order only: give the email"),
            Some(false) => return not("this promotion is for a first order only"),
            Some(true) => {}
        }
    }
    if c.usage_limit.is_some_and(|l| c.uses_count >= l) {
        return Some(Refusal::Exhausted(
            "this promotion has no uses left".to_owned(),
        ));
    }
    if c.usage_limit_per_customer
        .is_some_and(|l| buyer.uses >= i64::from(l))
    {
        return Some(Refusal::Exhausted(
            "this customer has used this promotion as often as it allows".to_owned(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::delivery::pricing::{self, LineIn, TaxMode};

    fn line(sku: &str, category: &str, price: i64, qty: i32) -> BasketLine {
        BasketLine {
            sku: sku.into(),
            product: sku.into(),
            category: category.into(),
            unit_price_minor: price,
            quantity: qty,
        }
    }

    fn offer(give: Give, exclusive: bool) -> Offer {
        Offer {
            id: Uuid::nil(),
            give,
            target: PromotionTarget::All,
            targets: vec![],
            exclusive,
        }
    }

    #[test]
    fn largest_remainder_adds_up_exactly() {
        assert_eq!(allocate(100, &[100, 100, 100]), vec![34, 33, 33]);
        // Never more than the weights hold.
        assert_eq!(allocate(100, &[1, 1, 1]), vec![1, 1, 1]);
        assert_eq!(allocate(10, &[333, 667]), vec![3, 7]);
        assert_eq!(allocate(0, &[5, 5]), vec![0, 0]);
        assert_eq!(allocate(7, &[0, 0]), vec![0, 0]);
        assert_eq!(allocate(10, &[10, 0]), vec![10, 0]);
    }

    #[test]
    fn percentage_before_fixed_and_free_shipping_last() {
        let lines = [line("A", "hair", 1000, 2), line("B", "skin", 500, 1)];
        let d = apply(
            &[
                offer(Give::FixedAmount(300), false),
                offer(Give::FreeShipping, false),
                offer(Give::Percentage(1000), false),
            ],
            &lines,
            490,
        );
        // 10 % of 2500 = 250 first, then 300 off the 2250 left, then the shipping.
        let order: Vec<usize> = d.applied.iter().map(|a| a.offer).collect();
        assert_eq!(order, [2, 0, 1]);
        assert_eq!(d.applied[0].amount_minor(), 250);
        assert_eq!(d.applied[1].amount_minor(), 300);
        assert_eq!(d.shipping_discount_minor, 490);
        assert_eq!(d.line_discounts.iter().sum::<i64>(), 550);
    }

    #[test]
    fn the_best_exclusive_beats_smaller_combinables_and_loses_to_larger_ones() {
        let lines = [line("A", "hair", 1000, 1)];
        let small = [
            offer(Give::Percentage(500), false),
            offer(Give::FixedAmount(100), false),
            offer(Give::Percentage(2000), true),
        ];
        let d = apply(&small, &lines, 0);
        assert_eq!(d.total_minor(), 200);
        assert_eq!(d.applied.len(), 1);
        assert_eq!(d.applied[0].offer, 2);
        let large = [
            offer(Give::Percentage(1500), false),
            offer(Give::FixedAmount(100), false),
            offer(Give::Percentage(2000), true),
        ];
        let d = apply(&large, &lines, 0);
        // 150 + 100 = 250 > 200.
        assert_eq!(d.total_minor(), 250);
        assert_eq!(d.applied.len(), 2);
    }

    #[test]
    fn buy_two_get_one_frees_the_cheapest_units() {
        let lines = [line("A", "hair", 1000, 2), line("B", "hair", 300, 1)];
        let d = apply(
            &[offer(Give::BuyXGetY { buy: 2, get: 1 }, false)],
            &lines,
            0,
        );
        assert_eq!(d.line_discounts, vec![0, 300]);
        let lines = [line("A", "hair", 1000, 5)];
        let d = apply(
            &[offer(Give::BuyXGetY { buy: 2, get: 1 }, false)],
            &lines,
            0,
        );
        assert_eq!(d.line_discounts, vec![1000]);
    }

    #[test]
    fn targeting_limits_the_discount_to_its_lines() {
        let lines = [line("A", "hair", 1000, 1), line("B", "skin", 1000, 1)];
        let mut o = offer(Give::Percentage(5000), false);
        o.target = PromotionTarget::Categories;
        o.targets = vec!["SKIN".into()];
        let d = apply(&[o.clone()], &lines, 0);
        assert_eq!(d.line_discounts, vec![0, 500]);
        o.targets = vec!["nails".into()];
        assert!(apply(&[o], &lines, 0).applied.is_empty());
    }

    #[test]
    fn conditions_are_checked_in_order() {
        let now = Utc::now();
        let c = Conditions {
            active: true,
            min_subtotal_minor: 1000,
            first_order_only: true,
            usage_limit: Some(2),
            uses_count: 2,
            ..Default::default()
        };
        let buyer = Buyer {
            email: Some("a@b.c".into()),
            first_order: Some(true),
            uses: 0,
        };
        assert!(matches!(
            refusal(&c, now, 999, &buyer),
            Some(Refusal::NotApplicable(_))
        ));
        assert!(matches!(
            refusal(&c, now, 1000, &buyer),
            Some(Refusal::Exhausted(_))
        ));
        let open = Conditions {
            uses_count: 1,
            ..c.clone()
        };
        assert_eq!(refusal(&open, now, 1000, &buyer), None);
        let later = Conditions {
            starts_at: Some(now + chrono::Duration::hours(1)),
            ..open
        };
        assert!(refusal(&later, now, 1000, &buyer).is_some());
    }

    fn give() -> impl Strategy<Value = Give> {
        prop_oneof![
            (1i32..=10_000).prop_map(Give::Percentage),
            (1i64..=1_000_000).prop_map(Give::FixedAmount),
            Just(Give::FreeShipping),
            (1i32..=5, 1i32..=5).prop_map(|(buy, get)| Give::BuyXGetY { buy, get }),
        ]
    }

    fn offers() -> impl Strategy<Value = Vec<Offer>> {
        prop::collection::vec((give(), any::<bool>(), 0usize..4, 0usize..3), 0..6).prop_map(
            |list| {
                list.into_iter()
                    .map(|(give, exclusive, target, value)| Offer {
                        id: Uuid::nil(),
                        give,
                        target: [
                            PromotionTarget::All,
                            PromotionTarget::Categories,
                            PromotionTarget::Products,
                            PromotionTarget::Skus,
                        ][target],
                        targets: vec![format!("t{value}")],
                        exclusive,
                    })
                    .collect()
            },
        )
    }

    fn basket() -> impl Strategy<Value = Vec<(BasketLine, i32)>> {
        prop::collection::vec((0i64..=100_000, 1i32..=20, 0usize..3, 0i32..=10_000), 1..20)
            .prop_map(|lines| {
                lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (price, qty, t, rate))| {
                        let tag = format!("t{t}");
                        (
                            BasketLine {
                                sku: if i % 2 == 0 {
                                    tag.clone()
                                } else {
                                    format!("s{i}")
                                },
                                product: tag.clone(),
                                category: tag,
                                unit_price_minor: price,
                                quantity: qty,
                            },
                            rate,
                        )
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn discounted_totals_are_consistent_and_never_negative(
            basket in basket(),
            offers in offers(),
            shipping in 0i64..=100_000,
            shipping_rate in 0i32..=10_000,
            inclusive in any::<bool>(),
        ) {
            let lines: Vec<BasketLine> = basket.iter().map(|(l, _)| l.clone()).collect();
            let d = apply(&offers, &lines, shipping);
            // Per line and per offer: never more than was there, never negative, adding up.
            prop_assert_eq!(d.line_discounts.len(), lines.len());
            for (l, off) in lines.iter().zip(&d.line_discounts) {
                prop_assert!(*off >= 0 && *off <= l.amount());
            }
            prop_assert!(d.shipping_discount_minor >= 0 && d.shipping_discount_minor <= shipping);
            let by_offer: i64 = d.applied.iter().map(Applied::amount_minor).sum();
            prop_assert_eq!(by_offer, d.total_minor());
            for a in &d.applied {
                prop_assert!(a.amount_minor() > 0);
                prop_assert!(a.line_discounts.iter().all(|x| *x >= 0));
            }
            // Exclusive means alone.
            if d.applied.iter().any(|a| offers[a.offer].exclusive) {
                prop_assert_eq!(d.applied.len(), 1);
            }
            let mode = if inclusive { TaxMode::Inclusive } else { TaxMode::Exclusive };
            let ins: Vec<LineIn> = basket
                .iter()
                .map(|(l, rate)| LineIn {
                    unit_price_minor: l.unit_price_minor,
                    quantity: l.quantity,
                    rate_bp: *rate,
                })
                .collect();
            let t = pricing::totals_discounted(
                &ins,
                &d.line_discounts,
                shipping,
                d.shipping_discount_minor,
                shipping_rate,
                mode,
            )
            .unwrap();
            prop_assert_eq!(t.discount_minor, d.total_minor());
            prop_assert!(t.total_minor >= 0 && t.tax_minor >= 0);
            for (i, l) in t.lines.iter().enumerate() {
                prop_assert!(l.total_minor >= 0);
                prop_assert_eq!(l.discount_minor, d.line_discounts[i]);
                // Tax after the discount, by the rounding rule.
                prop_assert!(l.tax_minor <= l.amount_minor - l.discount_minor || !inclusive);
            }
            match mode {
                TaxMode::Exclusive => prop_assert_eq!(
                    t.total_minor,
                    t.subtotal_minor - t.discount_minor + t.shipping_minor + t.tax_minor
                ),
                TaxMode::Inclusive => prop_assert_eq!(
                    t.total_minor,
                    t.subtotal_minor - t.discount_minor + t.shipping_minor
                ),
            }
            let taxes: i64 = t.lines.iter().map(|l| l.tax_minor).sum::<i64>() + t.shipping_tax_minor;
            prop_assert_eq!(taxes, t.tax_minor);
            for (l, (_, rate)) in t.lines.iter().zip(&basket) {
                prop_assert_eq!(l.tax_minor, pricing::tax_of(l.amount_minor - l.discount_minor, *rate, mode));
            }
        }
    }
}
