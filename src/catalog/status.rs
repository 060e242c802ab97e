//! A product's status.

use crate::types::enums::text_enum;

text_enum! {
    /// Where a product is in its life: only `active` products are on the storefront.
    pub enum ProductStatus("ProductStatus") {
        /// Being prepared; not on the storefront.
        Draft = "draft",
        /// On the storefront.
        Active = "active",
        /// Retired: off the storefront, its SKUs kept (they are on labels and in orders).
        Archived = "archived",
    }
}
