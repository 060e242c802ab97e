//! The states and kinds of conversations and messages.

use crate::types::enums::text_enum;

text_enum! {
    /// Who answers a conversation.
    pub enum ConversationState("ConversationState") {
        /// The assistant answers.
        Bot = "bot",
        /// Staff took over; the assistant stays quiet until it is handed back.
        Human = "human",
    }
}

text_enum! {
    /// Which way a message went.
    pub enum MessageDirection("MessageDirection") {
        /// From the customer.
        Inbound = "inbound",
        /// To the customer.
        Outbound = "outbound",
    }
}

text_enum! {
    /// Who wrote a message.
    pub enum MessageAuthor("MessageAuthor") {
        /// The customer.
        Customer = "customer",
        /// The assistant.
        Bot = "bot",
        /// A staff member.
        Staff = "staff",
    }
}

text_enum! {
    /// A message's delivery state. Inbound messages are `received`; outbound ones move
    /// forward only: `pending`, `sent`, then `delivered` and `read` (or `failed`).
    pub enum MessageStatus("MessageStatus") {
        /// An inbound message, stored.
        Received = "received",
        /// An outbound message, claimed and not yet accepted by Meta.
        Pending = "pending",
        /// Accepted by Meta.
        Sent = "sent",
        /// On the customer's phone.
        Delivered = "delivered",
        /// Read by the customer.
        Read = "read",
        /// Meta could not deliver it (`error_code`, `error_title`).
        Failed = "failed",
    }
}
