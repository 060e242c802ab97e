//! Customer notifications: when an order is paid or shipped, the brand's own WhatsApp number
//! sends the customer an approved template message in the customer's language.
//!
//! Meta delivers free-form messages only within 24 hours of the customer's last message; a
//! customer who paid on the storefront may never have written, so notifications are always
//! *template* messages (approved by Meta for the brand's WhatsApp Business Account).
//!
//! The flow, with the brand in the data at every step:
//! 1. The transaction that marks an order paid (provider callback or staff) or shipped calls
//!    [`queue`]: when the brand sends that event and the order has a phone, a
//!    `notify_customer` job is queued in the same transaction (ref `<order id>:<event>`), so a
//!    rolled-back change queues nothing.
//! 2. The job ([`service::send`]) runs in the brand's tenant transaction: it reads the order,
//!    picks the template language (the customer's conversation language, else the brand's
//!    default, matched to the template's approved languages), records the notification once
//!    per order and event, and sends it through the Graph API with the brand's own number and
//!    access token (read through the same transaction, as the assistant's replies are).
//! 3. The record (`app.customer_notifications`) makes the job idempotent: a run that finds the
//!    notification sent, failed or being sent sends nothing.
//!
//! # Layout
//! - [`service`]: the settings (validated change) and the job.
//! - [`repo`] and `sql/`: the statements.
//! - [`api`]: the settings endpoints (`brand.settings`).

pub mod api;
pub(crate) mod repo;
pub mod service;

use chrono::Utc;
use uuid::Uuid;

use crate::{
    db::{DbError, Tx},
    jobs::{self, JobError, JobKind},
    types::enums::text_enum,
};

text_enum! {
    /// What the customer is told about.
    pub enum NotificationEvent("NotificationEvent") {
        /// The order was paid.
        Paid = "paid",
        /// The order was shipped.
        Shipped = "shipped",
    }
}

text_enum! {
    /// Where a notification is.
    pub enum NotificationStatus("NotificationStatus") {
        /// Not sent yet (or put back after a failure worth retrying).
        Pending = "pending",
        /// A send is in flight, or was interrupted: never sent again automatically, since Meta
        /// may have accepted it.
        Sending = "sending",
        /// Meta accepted it (its message id is kept).
        Sent = "sent",
        /// Meta refused it for good; the error is kept.
        Failed = "failed",
    }
}

/// The job's ref: `<order id>:<event>`.
pub fn job_ref(order_id: Uuid, event: NotificationEvent) -> String {
    format!("{order_id}:{event}")
}

/// Reads a job's ref back; anything else is a permanent failure (retrying cannot fix it).
pub fn parse_ref(reference: &str) -> Result<(Uuid, NotificationEvent), JobError> {
    let bad = || JobError::Permanent("the ref is not <order id>:<event>".into());
    let (id, event) = reference.split_once(':').ok_or_else(bad)?;
    Ok((
        id.parse().map_err(|_| bad())?,
        NotificationEvent::parse(event).map_err(|_| bad())?,
    ))
}

/// Queues the customer's notification of `event` inside the transaction that made the change,
/// when the brand sends that event and the order has a phone number; returns whether it did.
/// Call it before the change's business event (which holds the brand's event counter to
/// COMMIT).
pub async fn queue(tx: &Tx<'_>, order_id: Uuid, event: NotificationEvent) -> Result<bool, DbError> {
    if !repo::wanted(tx, order_id, event).await? {
        return Ok(false);
    }
    jobs::enqueue(
        tx,
        JobKind::NotifyCustomer,
        &job_ref(order_id, event),
        Utc::now(),
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_round_trip_and_bad_refs_are_permanent() {
        let id = Uuid::new_v4();
        for event in NotificationEvent::ALL {
            assert_eq!(parse_ref(&job_ref(id, *event)).unwrap(), (id, *event));
        }
        for bad in ["", "x:paid", &format!("{id}"), &format!("{id}:refunded")] {
            assert!(
                matches!(parse_ref(bad), Err(JobError::Permanent(_))),
                "{bad}"
            );
        }
    }
}
