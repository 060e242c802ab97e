//! Returns and refunds of paid orders, and what they do to stock and money.
//!
//! **Returns** (`requested -> approved | rejected`, `approved -> received`): support or a
//! manager asks for units of a shipped order back, per SKU at most what left the warehouse
//! and is not in another return already (requested, approved or received; a rejected
//! return frees its units). A manager approves or rejects; the warehouse receives an approved
//! return into a zone: every unit arrives (`return` movement, `on_hand` up) and those that
//! cannot be sold again are written off at once (`write_off` movement with its reason), so
//! the ledger explains every unit.
//!
//! **Refunds** (`requested -> refunded | failed`): money back for units of order lines (their
//! share of the line's total, tax included), the shipping (once), or a free amount; the
//! refunds that did not fail never exceed the order's total. A refund is sent to the payment
//! provider as the `refund.requested` event (webhooks deliver it) and settled by the signed
//! payment callback (`status` `refunded` or `refund_failed`, with its `refund_id`), exactly
//! once: the provider's event id is recorded with its effect, the order row is locked first.
//!
//! **Cancelling a paid order** that has not shipped ([`refunds::cancel_paid`]): its sales are
//! reversed (`restock` movements in the zones they were sold from) and the whole amount not
//! yet refunded is requested back, in the cancelling transaction.
//!
//! Every transaction here locks the order row first, then the return or refund, then stock
//! rows: the order's lock order.

pub mod admin_api;
pub mod refunds;
pub(crate) mod repo;
pub mod service;

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use crate::types::{Nullable, enums::text_enum};

text_enum! {
    /// Where a return stands.
    pub enum ReturnStatus("ReturnStatus") {
        /// Asked for; its units count against what the order shipped.
        Requested = "requested",
        /// A manager agreed; the warehouse may receive it.
        Approved = "approved",
        /// A manager refused; its units may be asked for again.
        Rejected = "rejected",
        /// The units arrived: resellable ones back in stock, the others written off.
        Received = "received",
    }
}

text_enum! {
    /// Where a refund stands.
    pub enum RefundStatus("RefundStatus") {
        /// Sent to the payment provider (the `refund.requested` event), not confirmed yet.
        Requested = "requested",
        /// The provider confirmed it; counted in the order's `refunded_minor`.
        Refunded = "refunded",
        /// The provider could not pay it back; its amount may be refunded again.
        Failed = "failed",
    }
}

/// Units of one SKU in a return.
#[derive(Debug, Clone, Object)]
#[oai(rename = "ReturnLine")]
pub struct ReturnLine {
    pub sku: String,
    pub quantity: i32,
    /// Units put back into stock at reception; `null` until received.
    pub resellable_quantity: Nullable<i32>,
    /// Units written off at reception; `null` until received.
    pub written_off_quantity: Nullable<i32>,
    pub write_off_reason: Nullable<String>,
}

/// A return of units of a shipped order.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Return")]
pub struct Return {
    pub id: Uuid,
    /// The order's number.
    pub order: i32,
    /// `requested`, `approved`, `rejected` or `received`.
    pub status: ReturnStatus,
    pub reason: String,
    /// Why it was rejected.
    pub decision_note: Nullable<String>,
    /// The zone its units were received into.
    pub zone: Nullable<String>,
    pub lines: Vec<ReturnLine>,
    pub requested_by: Nullable<Uuid>,
    pub decided_by: Nullable<Uuid>,
    pub received_by: Nullable<Uuid>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Nullable<DateTime<Utc>>,
    pub received_at: Nullable<DateTime<Utc>>,
}

/// Units of one SKU a refund pays back.
#[derive(Debug, Clone, Object)]
#[oai(rename = "RefundLine")]
pub struct RefundLine {
    pub sku: String,
    pub quantity: i32,
    /// Their share of the line's total (tax included), in minor units.
    pub amount_minor: i64,
}

/// Money going back to the customer.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Refund")]
pub struct Refund {
    pub id: Uuid,
    /// The order's number.
    pub order: i32,
    /// `requested`, `refunded` or `failed`.
    pub status: RefundStatus,
    /// The whole amount: `lines_minor + shipping_minor + free_minor`.
    pub amount_minor: i64,
    pub currency: String,
    /// The lines' part.
    pub lines_minor: i64,
    /// The shipping's part (tax included).
    pub shipping_minor: i64,
    /// A free amount (a goodwill gesture, a price correction).
    pub free_minor: i64,
    pub reason: Nullable<String>,
    /// The return it pays back, if any.
    pub return_id: Nullable<Uuid>,
    pub lines: Vec<RefundLine>,
    /// Who asked for it (`null` for a cancellation's refund made by the system).
    pub created_by: Nullable<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When the provider confirmed it or reported it failed.
    pub settled_at: Nullable<DateTime<Utc>>,
}

/// The order's refunds and the money figures they add up to.
#[derive(Debug, Clone, Object)]
#[oai(rename = "OrderRefunds")]
pub struct OrderRefunds {
    /// What the order captured (its total; 0 for an order never paid).
    pub captured_minor: i64,
    /// What confirmed refunds paid back (the order's `refunded_minor`).
    pub refunded_minor: i64,
    /// Requested and not confirmed yet.
    pub pending_minor: i64,
    /// What may still be refunded: captured minus refunded minus pending.
    pub refundable_minor: i64,
    pub refunds: Vec<Refund>,
}

/// The share of a line's total for its first `units` units: `total x units / quantity`,
/// rounded down. Shares of all the line's units add up to the total exactly, so refunding a
/// line unit by unit or all at once gives back the same money.
pub fn line_share(total_minor: i64, quantity: i32, units: i32) -> i64 {
    if quantity <= 0 {
        return 0;
    }
    let units = units.clamp(0, quantity);
    // i128: total x units cannot overflow.
    (i128::from(total_minor) * i128::from(units) / i128::from(quantity)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_every_unit_add_up_to_the_line_total() {
        for (total, quantity) in [(1000, 3), (1, 3), (999_999, 7), (0, 2), (12345, 1)] {
            let mut sum = 0;
            for k in 0..quantity {
                sum += line_share(total, quantity, k + 1) - line_share(total, quantity, k);
            }
            assert_eq!(sum, total, "{total}/{quantity}");
            assert_eq!(line_share(total, quantity, quantity), total);
        }
        assert_eq!(line_share(1000, 3, 1), 333);
        assert_eq!(line_share(1000, 3, 2), 666);
        assert_eq!(line_share(i64::MAX, 3, 3), i64::MAX);
    }
}
