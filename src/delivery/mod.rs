//! Delivery and tax: a brand's shipping methods and tax rates, and the pure pricing maths that
//! checkout uses to charge shipping and tax.
//!
//! A shipping method ships to a list of countries and is priced by bands of the order's
//! subtotal or of its weight, with an optional free-shipping threshold. A brand with at least
//! one active method requires every checkout to name an eligible one (the storefront lists
//! them with prices for a country and subtotal); a brand with none ships for 0. Tax rates are
//! per (country, tax class); a product's class picks its lines' rate in the tax country (the
//! shipping address's country, else the brand's `tax_origin_country`, else no tax). How lines
//! are taxed and rounded is [`pricing`]'s module doc.
//!
//! # Layout
//! - [`pricing`]: bands, per-line tax (half up), the order's totals. Pure.
//! - [`service`]: managing methods and rates (`brand.settings`), the storefront's quotes, and
//!   what checkout reads in its own transaction.
//! - `repo.rs` + `sql/`: the statements. [`api`]: `/v1/admin/shipping-methods`,
//!   `/v1/admin/tax-rates`, `/v1/storefront/shipping-methods`.

pub mod api;
pub mod pricing;
pub(crate) mod repo;
pub mod service;

use crate::types::enums::text_enum;

text_enum! {
    /// Which of a country's rates taxes a product.
    pub enum TaxClass("TaxClass") {
        /// The country's standard rate (the default; shipping is taxed at it too).
        Standard = "standard",
        /// The country's reduced rate (books, food, ... as the brand's tax adviser says).
        Reduced = "reduced",
        /// Zero-rated.
        Zero = "zero",
    }
}

text_enum! {
    /// What a shipping method's bands measure.
    pub enum RateBasis("ShippingRateBasis") {
        /// The order's subtotal, in minor units.
        Subtotal = "subtotal",
        /// The order's weight in grams (the variants' `weight_grams` x quantity; a variant
        /// without one counts 0).
        Weight = "weight",
    }
}
