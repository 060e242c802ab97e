//! What an import did or would do: the summary kept with the import and shown to staff, and
//! the outcome of a run.

use serde::{Deserialize, Serialize};

use super::format::RowError;

/// What an import did, or (dry run) would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Data records in the file.
    pub rows: u64,
    pub products_created: u64,
    pub products_updated: u64,
    pub products_unchanged: u64,
    pub variants_created: u64,
    pub variants_reactivated: u64,
    pub variants_deactivated: u64,
    /// Units received into stock (ledger `receive` movements) for new variants.
    pub units_received: u64,
    /// A few of the products created and updated, with what changed.
    pub examples: Vec<Example>,
}

/// One product an import creates or updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub line: u64,
    pub handle: String,
    /// `create` or `update`.
    pub action: String,
    /// For updates: the fields that differ (`name`, `description`, `status`, `price`,
    /// `category`, `options`).
    pub changes: Vec<String>,
}

/// How an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file has problems; nothing was written.
    Invalid,
    /// A dry run: nothing was written; the summary says what would change.
    DryRun,
    /// Written and committed.
    Applied,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub outcome: Outcome,
    pub summary: Summary,
    /// Every problem, in line order.
    pub errors: Vec<RowError>,
}

impl Report {
    /// Whether the catalog changed (and caches must be invalidated).
    pub fn changed_catalog(&self) -> bool {
        self.outcome == Outcome::Applied
            && self.summary.products_created + self.summary.products_updated > 0
    }
}
