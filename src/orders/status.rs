//! Order and hold statuses.

use crate::types::enums::text_enum;

text_enum! {
    /// Where an order stands.
    pub enum OrderStatus("OrderStatus") {
        /// Its units are held, waiting for payment until the holds expire.
        PendingPayment = "pending_payment",
        /// Paid: the holds became a sale.
        Paid = "paid",
        /// Paid, and some of its units have left the warehouse (one or more shipments);
        /// the rest are still to ship.
        PartiallyShipped = "partially_shipped",
        /// Paid, and every unit has left the warehouse.
        Shipped = "shipped",
        /// Cancelled: before payment (its holds were released), or paid and not shipped yet
        /// (its sales were reversed, `restock`, and its captured amount requested back as a
        /// refund).
        Cancelled = "cancelled",
        /// Not paid before its holds ran out; the units went back.
        Expired = "expired",
        /// Paid when it could not be honoured (after cancellation, a wrong amount, or after the
        /// holds expired and the stock was gone): a human decides.
        PaymentConflict = "payment_conflict",
        /// Paid, and its whole total went back to the customer (confirmed refunds equal the
        /// total; see [`crate::orders::returns`]). A partly refunded order keeps its status
        /// (`paid`, `partially_shipped`, `shipped`) and shows what went back in
        /// `refunded_minor`. Nothing ships from a refunded order. A paid order cancelled
        /// before it shipped stays `cancelled` (its refund is requested by the cancellation).
        Refunded = "refunded",
    }
}

text_enum! {
    /// What became of a hold on stock.
    pub enum HoldStatus("HoldStatus") {
        /// Holding units (`reserved`) until it expires.
        Active = "active",
        /// Given back (the order was cancelled or needs a human).
        Released = "released",
        /// Ran out before payment; the units went back.
        Expired = "expired",
        /// Turned into a sale at payment.
        Confirmed = "confirmed",
    }
}

impl OrderStatus {
    /// Whether the order may still be cancelled (not paid or (partly) shipped, not already
    /// cancelled).
    pub fn is_cancellable(self) -> bool {
        matches!(
            self,
            Self::PendingPayment | Self::Expired | Self::PaymentConflict
        )
    }

    /// Whether the order is paid and still has units to ship (`paid`, `partially_shipped`):
    /// the only orders a shipment may be recorded for.
    pub fn is_shippable(self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyShipped)
    }

    /// Whether the order was paid and stands (`paid`, `partially_shipped`, `shipped`): what
    /// revenue and "paid" notifications count.
    pub fn is_paid(self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyShipped | Self::Shipped)
    }
}
