//! The states and kinds of conversations, messages and WhatsApp numbers.

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

text_enum! {
    /// How a brand's WhatsApp number was proved to be the brand's. Only a proved number routes
    /// Meta's webhook events into the brand.
    pub enum NumberProof("WhatsAppNumberProof") {
        /// The company owner assigned it.
        Owner = "owner",
        /// The brand's Graph API access token reads it: the number belongs to the token's
        /// WhatsApp Business Account.
        Token = "token",
    }
}

/// Why a brand's claim on a WhatsApp number was refused. Kept for the audit trail (which only
/// the company owner reads) and the logs; the brand gets the same answer for every reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberRefusal {
    /// No token, or the Graph API would not show the number to the brand's token.
    NotVerified,
    /// The token reads the number, but another brand holds it (the owner decides).
    HeldByAnotherBrand,
}

impl NumberRefusal {
    /// The reason as the audit trail stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberRefusal::NotVerified => "not_verified",
            NumberRefusal::HeldByAnotherBrand => "held_by_another_brand",
        }
    }
}
