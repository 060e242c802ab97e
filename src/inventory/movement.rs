//! The kinds of stock movement in the ledger.

use crate::types::enums::text_enum;

text_enum! {
    /// Why a stock row changed; every change writes one ledger row of one kind.
    pub enum MovementKind("MovementKind") {
        /// Units arrived (`on_hand` up).
        Receive = "receive",
        /// A count correction (`on_hand` up or down, with a reason).
        Adjust = "adjust",
        /// Units left this zone for another.
        TransferOut = "transfer_out",
        /// Units arrived from another zone.
        TransferIn = "transfer_in",
        /// A checkout held units (`reserved` up).
        Reserve = "reserve",
        /// A hold was given back (`reserved` down).
        Release = "release",
        /// A hold ran out (`reserved` down).
        Expire = "expire",
        /// Payment turned units into a sale (`on_hand` and `reserved` down).
        Sale = "sale",
        /// An order was cancelled and its hold given back (`reserved` down).
        Cancel = "cancel",
        /// Units a customer sent back arrived in this zone (`on_hand` up).
        Return = "return",
        /// Returned units that cannot be sold again left the books (`on_hand` down, with a
        /// reason).
        WriteOff = "write_off",
        /// A paid order was cancelled before it shipped: its sale reversed, the units back
        /// on the shelf they were sold from (`on_hand` up).
        Restock = "restock",
    }
}
