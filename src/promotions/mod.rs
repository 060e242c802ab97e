//! Promotions and promo codes of a brand: what they give (percentage, fixed amount, free
//! shipping, buy-X-get-Y), to what (all, categories, products, SKUs), on which conditions
//! (time window, minimum subtotal, first order, customer list), how often (uses in total and
//! per customer) and with what (exclusive or combinable).
//!
//! A promotion without a code applies by itself to every basket it fits; one with a code only
//! when the basket names it. Codes are per brand and case-insensitive: `WELCOME10` of one brand
//! and `welcome10` of another are different promotions, and a code of another brand is simply
//! unknown (the same 422 `unknown-promo-code` as a code nobody has). The order in which
//! promotions stack is [`engine`]'s module doc; tax comes after discounts
//! ([`crate::delivery::pricing`]).
//!
//! # Exact usage
//! `app.promotions.uses_count` counts the uses held by unpaid orders plus those consumed by
//! paid ones, and is raised only by one conditional update (`uses_count < usage_limit`) in the
//! checkout's transaction, so a code with 10 uses left is used exactly 10 times however many
//! checkouts race for it. A use (`app.promotion_uses`) follows the order's stock holds:
//! - `held` at checkout, with the holds;
//! - `released` (the count goes down) when the holds end without a sale: expiry, cancellation,
//!   a payment conflict;
//! - `consumed` when the order is paid. If the payment arrives after the holds expired and the
//!   use was released, the use is taken again with the units (the same conditional update);
//!   when the promotion has no use left by then, the order becomes `payment_conflict` for a
//!   human, like an order whose stock is gone: never a use over the limit.
//!
//! Lock order: a checkout (or a payment, expiry or cancellation) locks promotion rows after the
//! stock rows, like every other order transaction.
//!
//! # Layout
//! - [`engine`]: eligibility, the discount of each kind, stacking, allocation. Pure.
//! - [`service`]: managing promotions (`promotions.write`), the discounts of a basket in the
//!   checkout's (or quote's) transaction, the uses' life cycle, an order's discounts.
//! - `repo.rs` + `sql/`: the statements. [`api`]: `/v1/admin/promotions[/{id}]` and
//!   `POST /v1/storefront/quotes`.

pub mod api;
pub mod engine;
pub(crate) mod repo;
pub mod service;

use crate::{
    db::{DbError, Retryable},
    error::{ApiError, DomainError, FieldError},
    types::enums::text_enum,
};

text_enum! {
    /// What a promotion gives.
    pub enum PromotionKind("PromotionKind") {
        /// `percent_bp` basis points off the targeted lines.
        Percentage = "percentage",
        /// `amount_minor` off the targeted lines (at most what they cost).
        FixedAmount = "fixed_amount",
        /// The shipping is free.
        FreeShipping = "free_shipping",
        /// Of every `buy_quantity + get_quantity` targeted units, the cheapest
        /// `get_quantity` are free.
        BuyXGetY = "buy_x_get_y",
    }
}

text_enum! {
    /// Which lines a promotion targets; `targets` lists them.
    pub enum PromotionTarget("PromotionTarget") {
        /// Every line (`targets` empty).
        All = "all",
        /// Lines of products in these category codes.
        Categories = "categories",
        /// Lines of these product numbers.
        Products = "products",
        /// Lines of these SKUs.
        Skus = "skus",
    }
}

text_enum! {
    /// Where a use of a promotion stands.
    pub enum UseStatus("PromotionUseStatus") {
        /// Counted while the order's stock is held.
        Held = "held",
        /// The holds ended without a sale: no longer counted.
        Released = "released",
        /// The order was paid.
        Consumed = "consumed",
    }
}

/// The promotions domain's errors.
#[derive(Debug, thiserror::Error)]
pub enum PromotionError {
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// A code this brand does not have (422 `unknown-promo-code`); the field that named it.
    #[error("no such promo code in this brand")]
    UnknownCode(String),
    /// A condition does not hold (422 `promo-code-not-applicable`): field, why.
    #[error("{1}")]
    NotApplicable(String, String),
    /// No uses left (409 `promo-code-exhausted`): field, why.
    #[error("{1}")]
    Exhausted(String, String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Retryable for PromotionError {
    fn is_retryable(&self) -> bool {
        matches!(self, PromotionError::Db(e) if e.is_retryable())
    }
}

impl From<DomainError> for PromotionError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => PromotionError::Invalid(errors),
            DomainError::NotFound(what) => PromotionError::NotFound(what),
            DomainError::Conflict(what) => PromotionError::Conflict(what),
            DomainError::Db(db) => PromotionError::Db(db),
        }
    }
}

impl From<PromotionError> for ApiError {
    fn from(e: PromotionError) -> Self {
        match e {
            PromotionError::Invalid(errors) => ApiError::invalid(errors),
            PromotionError::NotFound(what) => ApiError::not_found(what),
            PromotionError::Conflict(what) => ApiError::conflict(what),
            PromotionError::UnknownCode(field) => ApiError::unknown_promo_code(field),
            PromotionError::NotApplicable(field, why) => {
                ApiError::promo_code_not_applicable(field, why)
            }
            PromotionError::Exhausted(field, why) => ApiError::promo_code_exhausted(field, why),
            PromotionError::Db(db) => db.into(),
        }
    }
}

/// A promotion applied to a basket or an order, as it was then (a later change or deletion of
/// the promotion never changes a placed order's snapshot).
#[derive(
    Debug, Clone, PartialEq, Eq, poem_openapi::Object, serde::Serialize, serde::Deserialize,
)]
#[oai(rename = "AppliedPromotion")]
pub struct AppliedPromotion {
    pub id: uuid::Uuid,
    /// The code the basket named; `null` for an automatic promotion.
    pub code: crate::types::Nullable<String>,
    pub name: String,
    pub kind: PromotionKind,
    /// What it took off, lines and shipping together, in minor units.
    pub amount_minor: i64,
}
