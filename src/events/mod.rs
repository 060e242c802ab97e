//! Business events: a transactional outbox (`app.events`) and what reads it back.
//!
//! Every business change calls [`record`] inside its own tenant transaction, so an event
//! exists if and only if its change committed, and the brand is in the row (RLS stamps and
//! checks `tenant_id`), never in ambient state. Each brand numbers its events 1, 2, 3, ...
//! under a per-brand row lock held to COMMIT (see `sql/V17__events.sql`), so a reader that
//! resumes "after n" never misses an event that commits later with a smaller number. The
//! writing transaction also sends `NOTIFY brandhouse_events, '<brand id>:<seq>'` (delivered
//! at COMMIT, ids only).
//!
//! Readers: [`service`] lists a brand's events for polling clients and runs the live streams;
//! [`hub::Hub`] holds the one `LISTEN` connection and only wakes streams up; each stream reads
//! through its own tenant transaction, so RLS decides what it sees. The owner's company stream
//! reads through the analytics role, like every other cross-brand read.
//!
//! Payloads carry ids and figures of the brand only. Customer personal data goes in the
//! separate `pii` column, which readers without `customers.read` never receive.

pub mod api;
pub mod hub;
pub(crate) mod repo;
pub mod service;
pub mod ticket;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    db::{DbError, Tx},
    identity::{Permission, Role},
    types::enums::text_enum,
};

/// The channel the outbox notifies and the hub listens on.
pub const CHANNEL: &str = "brandhouse_events";

text_enum! {
    /// What happened.
    pub enum EventType("EventType") {
        /// A checkout placed an order (its units are held).
        OrderCreated = "order.created",
        /// An order was paid (by the provider or by staff); ready to pick.
        OrderPaid = "order.paid",
        /// A payment could not be honoured; a human decides.
        OrderPaymentConflict = "order.payment_conflict",
        /// Staff cancelled an order (unpaid, or paid and not shipped: then a
        /// `refund.requested` comes with it).
        OrderCancelled = "order.cancelled",
        /// An unpaid order's holds ran out.
        OrderExpired = "order.expired",
        /// A paid order's last units left the warehouse: it is wholly shipped.
        OrderShipped = "order.shipped",
        /// A parcel of a paid order left the warehouse (with its carrier and tracking, when
        /// given); `order_status` says whether the order is now `partially_shipped` or
        /// `shipped`.
        ShipmentCreated = "shipment.created",
        /// A variant's available units fell below its reorder threshold.
        StockLow = "stock.low",
        /// A catalog import finished (done or failed).
        ImportFinished = "import.finished",
        /// A conversation was handed to a human.
        ConversationHandoff = "conversation.handoff",
        /// A customer wrote to the brand's WhatsApp number.
        ConversationMessage = "conversation.message",
        /// One of the brand's webhook endpoints was disabled after a run of failed deliveries.
        WebhookDisabled = "webhook.disabled",
        /// A return was requested for units of a shipped order.
        ReturnRequested = "return.requested",
        /// A return's units arrived at the warehouse (resellable ones back in stock, the
        /// others written off).
        ReturnReceived = "return.received",
        /// Money is to go back to the customer: the payment provider integration listens for
        /// this (a webhook subscribed to it) and answers with the signed payment callback
        /// (`status` `refunded` or `refund_failed`, with the `refund_id`).
        RefundRequested = "refund.requested",
        /// The payment provider confirmed a refund.
        RefundRefunded = "refund.refunded",
        /// The payment provider reported a refund failed; its amount may be refunded again.
        RefundFailed = "refund.failed",
    }
}

impl EventType {
    /// The permission a role needs to receive this event. The role groups of the matrix:
    /// order changes for who manages orders; payment, shipping and shipments also for the warehouse
    /// (`fulfilment`: a paid order is one to pick); low stock for who moves stock
    /// (`stock.write`); imports for who runs them; conversations for who reads them; webhook
    /// troubles for who manages the webhooks (`brand.settings`).
    pub fn permission(self) -> Permission {
        match self {
            EventType::OrderCreated
            | EventType::OrderPaymentConflict
            | EventType::OrderCancelled
            | EventType::OrderExpired
            | EventType::ReturnRequested
            | EventType::RefundRequested
            | EventType::RefundRefunded
            | EventType::RefundFailed => Permission::OrdersManage,
            EventType::OrderPaid
            | EventType::OrderShipped
            | EventType::ShipmentCreated
            | EventType::ReturnReceived => Permission::Fulfilment,
            EventType::StockLow => Permission::StockWrite,
            EventType::ImportFinished => Permission::ImportsManage,
            EventType::ConversationHandoff | EventType::ConversationMessage => Permission::ChatRead,
            EventType::WebhookDisabled => Permission::BrandSettings,
        }
    }

    /// The event types `role` receives.
    pub fn visible_to(role: Role) -> Vec<EventType> {
        EventType::ALL
            .iter()
            .copied()
            .filter(|t| t.permission().allows(role))
            .collect()
    }
}

/// An event as read back.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The brand's slug (the company stream labels every event with it).
    pub brand: String,
    pub seq: i64,
    pub event_type: EventType,
    pub subject: String,
    pub payload: serde_json::Value,
    /// Customer personal data; `None` when absent or stripped for the reader's role.
    pub pii: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl Event {
    /// Maps a row with the columns of `sql/after.sql` (the company read has the same).
    pub fn from_row(r: &tokio_postgres::Row) -> Result<Self, DbError> {
        Ok(Event {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            brand: r.try_get("brand")?,
            seq: r.try_get("seq")?,
            event_type: r.try_get("type")?,
            subject: r.try_get("subject")?,
            payload: r.try_get("payload")?,
            pii: r.try_get("pii")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// Writes an event in the caller's transaction (its brand), numbered after the brand's last
/// one, and queues the notification that is sent at COMMIT. In the same statement, it writes
/// one webhook delivery per active endpoint of the brand subscribed to the type and queues
/// its delivery job (the `webhooks` domain sends them). Call it after the change's other
/// writes: from here to COMMIT the brand's event counter stays locked. Returns the number.
pub async fn record(
    tx: &Tx<'_>,
    event_type: EventType,
    subject: &str,
    payload: serde_json::Value,
    pii: Option<serde_json::Value>,
) -> Result<i64, DbError> {
    let stmt = tx.prepare_cached(include_str!("sql/record.sql")).await?;
    let row = tx
        .query_one(&stmt, &[tx.tenant(), &event_type, &subject, &payload, &pii])
        .await?;
    Ok(row.try_get("seq")?)
}

/// [`record`] for an event about the order this transaction has just numbered, before that
/// number is known to the caller, sent with the transaction's COMMIT
/// ([`Tx::query_and_commit`]): the subject is the brand's last order number (the order
/// counter, which the transaction holds locked) and the payload gets it as `"number"`. Lets
/// checkout send the event in the same round trip as the statement that numbers the order,
/// and the COMMIT with them, so the brand's counters are released as soon as the server is
/// done. The checkout's last statement: `Ok` means the order and its event committed (the
/// statement refuses to run without the order's number, so it never commits without the event).
pub async fn record_for_numbered_order_and_commit(
    tx: &Tx<'_>,
    event_type: EventType,
    payload: serde_json::Value,
    pii: Option<serde_json::Value>,
) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/record_order_numbered.sql"))
        .await?;
    tx.query_and_commit(&stmt, &[tx.tenant(), &event_type, &payload, &pii])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numbered_orders_statement_is_the_record_statement_but_for_its_inputs() {
        let numbered = include_str!("sql/record_order_numbered.sql");
        let body = numbered
            .split_once("-- the statement is record.sql (a unit test in events keeps them equal).\n")
            .map(|(_, body)| body)
            .unwrap_or_default()
            .replace(
                "$2::text, n.last_number::text, $3::jsonb || jsonb_build_object('number', n.last_number), $4::jsonb from counter left join app.order_counters n on n.tenant_id = $1",
                "$2::text, $3::text, $4::jsonb, $5::jsonb from counter",
            );
        assert_eq!(body, include_str!("sql/record.sql"));
    }

    #[test]
    fn roles_receive_their_groups_of_events() {
        use EventType::*;
        assert_eq!(EventType::visible_to(Role::Owner), EventType::ALL);
        assert_eq!(EventType::visible_to(Role::BrandManager), EventType::ALL);
        assert_eq!(
            EventType::visible_to(Role::Warehouse),
            [
                OrderPaid,
                OrderShipped,
                ShipmentCreated,
                StockLow,
                ReturnReceived
            ]
        );
        assert_eq!(
            EventType::visible_to(Role::Support),
            [ConversationHandoff, ConversationMessage]
        );
    }
}
